"""Pages. Each view validates input, calls one service function and renders."""
