"""The five lecture notes the registry cites (``../shared/seeds/``), by file name.

Sources cite a lecture by its file name (``S003``) and line range; JSON keeps the file name.
"""

from __future__ import annotations

S000 = "000_f22e563363d1e7ff.txt"
S001 = "001_4fedbb81320e18b0.txt"
S002 = "002_433c7158266bc0e9.txt"
S003 = "003_8a5dbeec3922fcb3.txt"
S004 = "004_ac0a1d509ce21c57.txt"
