project     = "flotilla"
environment = "staging"
region      = "us-east-1"

vpc_cidr         = "10.41.0.0/16"
az_count         = 2
nat_gateway_mode = "single" # one NAT: cheaper, an AZ outage costs egress only

alb_deletion_protection = false
log_retention_days      = 30

# certificate_arn = "arn:aws:acm:us-east-1:<account>:certificate/<id>"
# alarm_actions   = ["arn:aws:sns:us-east-1:<account>:flotilla-staging-alerts"]
