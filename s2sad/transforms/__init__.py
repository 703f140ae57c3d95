"""The transformations, IR to IR: ``reverse`` (adjoint programs), ``forward`` (tangent
programs) and ``optimize``. Each takes any program the others produce, so derivatives of
derivatives are transformations applied again (see ``s2sad.transform``)."""
