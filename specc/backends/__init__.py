"""Back-ends: the layer graph IR to a torch module or to Python source."""
