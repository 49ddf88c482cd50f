project     = "flotilla"
environment = "staging"
region      = "us-east-1"

vpc_cidr         = "10.41.0.0/16"
az_count         = 2
nat_gateway_mode = "single" # one NAT: cheaper, an AZ outage costs egress only

alb_deletion_protection = false
log_retention_days      = 30

# HTTPS: one of these is required (preflight refuses an environment with neither).
# domain          = "staging.example.com" # ACM certificate by DNS validation in its Route 53 zone
# hosted_zone     = "example.com"         # default: a zone named exactly like domain
# certificate_arn = "arn:aws:acm:us-east-1:<account>:certificate/<id>"
# allow_http      = true                  # plain HTTP, on purpose; the plan review warns

# alarm_actions   = ["arn:aws:sns:us-east-1:<account>:flotilla-staging-alerts"]
