# Swiss usage in this language too: efinance.lib.formats says why.
from efinance.lib.formats.swiss import *  # noqa: F403
