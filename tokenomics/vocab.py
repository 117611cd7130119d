"""The domain's fixed vocabularies, in a module that imports nothing (the CLI's choices load it at start-up)."""

DRIVERS = ("tokens", "weighted_tokens", "gpu_seconds")  # what a GPU hour's cost is split over tenants by
IDLE_POLICIES = ("proportional", "separate")            # where a GPU hour's idle share goes
IDLE_TENANT = "__idle__"                                # the tenant idle GPU time is charged to under 'separate'
