from .functional import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .protocols import *  # noqa: F401,F403
