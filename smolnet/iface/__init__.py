# The Interface: rx dispatch, tx egress, neighbors, routes.
