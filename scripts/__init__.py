"""Entry points: the launchers, the load balancer of `make run-scaled`, the analytics consumer."""
