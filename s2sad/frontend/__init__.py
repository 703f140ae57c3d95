"""Front end: read a function's source and bring it into the subset the lowering takes.

``parse`` reads and parses the source (gast), ``fence`` rejects what s2sad cannot
differentiate with a located error, ``desugar`` rewrites what it can into simpler statements
(one return, no ``continue``, ``y[i] += v`` as an assignment).
"""
