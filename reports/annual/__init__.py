"""The annual statistical return (年报): figures, checks, submission up the tree, pages
and exports. Layers: views > forms | exports > services > checks > figures."""
