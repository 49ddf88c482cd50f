project     = "flotilla"
environment = "prod"
region      = "us-east-1"

vpc_cidr         = "10.42.0.0/16"
az_count         = 3
nat_gateway_mode = "per_az" # no cross-AZ dependency for egress

alb_deletion_protection = true
log_retention_days      = 365
container_insights      = "enhanced"

alb_access_logs = true # a bucket the stack creates (ELB delivery policy, SSE-S3, 90-day expiry)

# HTTPS: one of these is required (preflight refuses an environment with neither).
# domain          = "api.example.com" # ACM certificate by DNS validation in its Route 53 zone
# hosted_zone     = "example.com"     # default: a zone named exactly like domain
# certificate_arn = "arn:aws:acm:us-east-1:<account>:certificate/<id>"
# allow_http      = true              # plain HTTP, on purpose; the plan review warns

# alarm_actions   = ["arn:aws:sns:us-east-1:<account>:flotilla-prod-alerts"]
