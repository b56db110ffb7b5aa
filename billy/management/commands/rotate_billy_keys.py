"""`rotate_billy_keys`: the former name of `rotate_encryption_keys`, kept because scripts and runbooks
call it. Since the key ring covers every encrypted column, it rotates all of them (billy API keys and
flow secrets alike): rotating billy's alone would let an operator drop a key that flow still needs.

Exit status: 0 every value is under the newest key; 1 some value no configured key decrypts, or no
key is configured.
"""

from shared.management.commands.rotate_encryption_keys import Command as RotateEncryptionKeys


class Command(RotateEncryptionKeys):
    help = "Alias of rotate_encryption_keys (re-encrypts every encrypted column, not only billy's). " + (
        RotateEncryptionKeys.help
    )
