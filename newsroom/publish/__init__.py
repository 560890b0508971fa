"""Publishing a built site: versioned releases behind one symlink, rollback,
and rsync uploads in a safe order (see releases.py)."""
