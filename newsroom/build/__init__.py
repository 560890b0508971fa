"""The build pipeline: Pelican (readers, checks, plugins, theme) into a staging
folder, then the search index, precompression and permissions, then the swap.

``python -m newsroom.build`` runs it (``__main__``); ``driver`` holds the
steps in order, ``search_index``, ``precompress`` and ``site_files`` the
stages after Pelican.
"""
