"""The claim: its model (model.py), lifecycle and stored reads (lifecycle.py), deadline rules on
views (deadlines.py), status in words (status.py), disputes (disputes.py), reporting a new claim
(reporting/), its risk flags (risk.py) and the amounts a claim is made of (amounts.py)."""
