"""Admin of the vault: documents (with their embedding's state), embeddings as figures, sync status.

An embedding is shown as its dimensions, norm and model, never as 1,536 numbers: the vector column is
never loaded by these pages (dimensions and norm are computed by PostgreSQL). Each document links to
its "similar documents"; the document list links to a text search page that runs `search_text`.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Case, F, FloatField, Func, IntegerField, Value, When
from django.db.models import CharField as CharOutput
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from shared.admin_base import TekupModelAdmin

from . import services
from .embedders import EmbeddingError
from .models import Document, Embedding, EmbeddingState, Source, SyncStatus

SIMILAR_DOCUMENTS = 10


def _vector_figures(queryset, prefix: str = ""):
    """Annotate dimensions and norm of the vector column, computed in SQL."""
    column = f"{prefix}embedding"
    return queryset.annotate(
        dimensions=Func(F(column), function="vector_dims", output_field=IntegerField()),
        norm=Func(F(column), function="vector_norm", output_field=FloatField()),
    )


class EmbeddingStateFilter(admin.SimpleListFilter):
    title = "embedding"
    parameter_name = "embedding"

    def lookups(self, request, model_admin):
        return EmbeddingState.choices

    def queryset(self, request, queryset):
        if self.value() in EmbeddingState.values:
            return queryset.filter(embedding_state=self.value())
        return queryset


@admin.register(Document)
class DocumentAdmin(TekupModelAdmin):
    list_display = ("path", "repository", "source", "updated_at", "embedding_state_display")
    list_filter = ("source", EmbeddingStateFilter, "repository")
    search_fields = ("repository", "path")
    ordering = ("-updated_at",)
    fields = (
        "source",
        "repository",
        "path",
        "content",
        "metadata",
        "sha",
        "content_hash",
        "embedding_summary",
        "similar_documents_link",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "content_hash",
        "embedding_summary",
        "similar_documents_link",
        "created_at",
        "updated_at",
    )
    change_list_template = "admin/vault/document/change_list.html"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).with_embedding_state()
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "vault_document_changelist":
            queryset = queryset.defer("content")  # whole files: not needed for the list
        return queryset

    @admin.display(description="embedding", ordering="embedding_state")
    def embedding_state_display(self, obj):
        return EmbeddingState(obj.embedding_state).label

    @admin.display(description="embedding")
    def embedding_summary(self, obj):
        if obj.pk is None:
            return "-"
        figures = (
            _vector_figures(Embedding.objects.filter(document_id=obj.pk))
            .values("dimensions", "norm", "model", "content_hash", "updated_at")
            .first()
        )
        if figures is None:
            return "missing"
        state = "fresh" if figures["content_hash"] == obj.content_hash else "stale"
        return (
            f"{figures['dimensions']} dimensions, norm {figures['norm']:.4f}, model {figures['model']}, "
            f"{state} (made {figures['updated_at']:%Y-%m-%d %H:%M})"
        )

    @admin.display(description="similar documents")
    def similar_documents_link(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:vault_document_similar", args=[obj.pk])
        return format_html('<a href="{}">Top {} by this document\'s embedding</a>', url, SIMILAR_DOCUMENTS)

    def get_urls(self):
        extra = [
            path(
                "<uuid:object_id>/similar/",
                self.admin_site.admin_view(self.similar_view),
                name="vault_document_similar",
            ),
            path("search/", self.admin_site.admin_view(self.search_view), name="vault_document_search"),
        ]
        return extra + super().get_urls()

    def similar_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(Document.objects.select_related("embedding"), pk=object_id)
        results = None
        embedding = getattr(document, "embedding", None)  # None when the document has none
        if embedding is not None:
            found = services.semantic_search(
                embedding=embedding.embedding, limit=SIMILAR_DOCUMENTS + 1, threshold=-1
            )
            results = [r for r in found if r.document.pk != document.pk][:SIMILAR_DOCUMENTS]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Documents similar to {document}",
            "document": document,
            "results": results,
        }
        return TemplateResponse(request, "admin/vault/document/similar.html", context)

    def search_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = TextSearchForm(request.GET or None)
        results = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                results = services.search_text(
                    query=data["query"],
                    limit=data["limit"],
                    threshold=data["threshold"],
                    source=data["source"] or None,
                    repository=data["repository"] or None,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except (EmbeddingError, ImproperlyConfigured) as exc:
                messages.error(request, f"The query could not be embedded: {exc}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Semantic search of documents",
            "form": form,
            "results": results,
        }
        return TemplateResponse(request, "admin/vault/document/search.html", context)


class TextSearchForm(forms.Form):
    query = forms.CharField(max_length=8000, widget=forms.TextInput(attrs={"size": 60}))
    limit = forms.IntegerField(min_value=1, max_value=services.MAX_SEARCH_LIMIT, initial=10)
    threshold = forms.FloatField(
        min_value=-1,
        max_value=1,
        initial=0.3,
        help_text="keep results with cosine similarity above this",
    )
    source = forms.ChoiceField(choices=[("", "any")] + list(Source.choices), required=False)
    repository = forms.CharField(max_length=255, required=False)

    def __init__(self, data=None, **kwargs):
        if data is not None:  # the initial values stand in for parameters left out of the URL
            data = {name: data.get(name, field.initial) for name, field in self.base_fields.items()}
        super().__init__(data, **kwargs)


@admin.register(Embedding)
class EmbeddingAdmin(TekupModelAdmin):
    list_display = ("document", "model", "dimensions", "norm_display", "state", "updated_at")
    list_filter = ("model",)
    search_fields = ("document__repository", "document__path")
    list_select_related = ("document",)
    fields = ("document_link", "model", "dimensions", "norm_display", "state", "content_hash", "updated_at")
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request).defer("embedding", "document__content")
        return _vector_figures(queryset).annotate(
            embedding_state=Case(
                When(content_hash=F("document__content_hash"), then=Value(EmbeddingState.FRESH)),
                default=Value(EmbeddingState.STALE),
                output_field=CharOutput(),
            )
        )

    def has_add_permission(self, request):
        return False  # vectors come from an embedder (vault_embed), not from a form

    @admin.display(description="dimensions", ordering="dimensions")
    def dimensions(self, obj):
        return obj.dimensions

    @admin.display(description="norm", ordering="norm")
    def norm_display(self, obj):
        return f"{obj.norm:.4f}"

    @admin.display(description="state", ordering="embedding_state")
    def state(self, obj):
        return EmbeddingState(obj.embedding_state).label

    @admin.display(description="document")
    def document_link(self, obj):
        url = reverse("admin:vault_document_change", args=[obj.document_id])
        return format_html('<a href="{}">{}</a>', url, obj.document)


@admin.register(SyncStatus)
class SyncStatusAdmin(TekupModelAdmin):
    list_display = ("repository", "source", "status", "last_sync_at", "error_message")
    list_filter = ("status", "source")
    search_fields = ("repository",)
    readonly_fields = ("last_sync_at", "created_at", "updated_at")
    actions = ("mark_for_resync",)

    @admin.action(permissions=["change"], description="Mark for resync (status pending, error cleared)")
    def mark_for_resync(self, request, queryset):
        count = services.request_resync(sync_statuses=queryset)
        self.message_user(request, f"{count} marked for resync.", messages.SUCCESS)
