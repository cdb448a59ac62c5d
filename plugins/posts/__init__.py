"""The post model and its validation; see :mod:`plugins.posts.model`."""
