project     = "flotilla"
environment = "prod"
region      = "us-east-1"

vpc_cidr         = "10.42.0.0/16"
az_count         = 3
nat_gateway_mode = "per_az" # no cross-AZ dependency for egress

alb_deletion_protection = true
log_retention_days      = 365
container_insights      = "enhanced"

# certificate_arn        = "arn:aws:acm:us-east-1:<account>:certificate/<id>"
# alb_access_logs_bucket = "<bucket with the ELB log delivery policy>"
# alarm_actions          = ["arn:aws:sns:us-east-1:<account>:flotilla-prod-alerts"]
