"""Front end: read a function's source and bring it into the subset the lowering takes.

``source`` reads a live function's text from its file (``stale`` refuses a file edited since
the function was defined), ``parse`` parses it (gast) once per build, ``fence`` rejects what
s2sad cannot differentiate with a located error (``aliasing``: writes in place that another
name would see), ``desugar`` rewrites what it can into simpler statements (one return, no
``continue``, ``y[i] += v`` as an assignment).
"""
