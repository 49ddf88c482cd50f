# Every service in services/ as an ECS Fargate service behind one ALB, for one environment.

locals {
  name = "${var.project}-${var.environment}"
  tags = {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  }
  aws = {
    account_id = data.aws_caller_identity.current.account_id
    region     = data.aws_region.current.name
    partition  = data.aws_partition.current.partition
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

module "network" {
  source = "./modules/network"

  name                    = local.name
  cidr                    = var.vpc_cidr
  az_count                = var.az_count
  nat_gateway_mode        = var.nat_gateway_mode
  vpc_id                  = var.vpc_id
  public_subnet_ids       = var.public_subnet_ids
  private_subnet_ids      = var.private_subnet_ids
  flow_log_retention_days = var.log_retention_days
  log_kms_key_arn         = var.log_kms_key_arn
}

module "alb" {
  source = "./modules/alb"

  name                = local.name
  vpc_id              = module.network.vpc_id
  public_subnet_ids   = module.network.public_subnet_ids
  certificate_arn     = var.certificate_arn
  deletion_protection = var.alb_deletion_protection
  access_logs_bucket  = var.alb_access_logs_bucket
}

module "cluster" {
  source = "./modules/cluster"

  name               = local.name
  container_insights = var.container_insights
}

module "service" {
  source   = "./modules/service"
  for_each = var.services

  name        = each.key
  name_prefix = local.name
  service     = each.value
  aws         = local.aws

  cluster_arn           = module.cluster.arn
  cluster_name          = module.cluster.name
  vpc_id                = module.network.vpc_id
  subnet_ids            = module.network.private_subnet_ids
  alb_security_group_id = module.alb.security_group_id
  alb_arn_suffix        = module.alb.arn_suffix
  alb_url               = module.alb.url
  listener_arn          = module.alb.listener_arn

  deregistration_delay = var.deregistration_delay
  log_retention_days   = var.log_retention_days
  log_kms_key_arn      = var.log_kms_key_arn
  alarm_actions        = var.alarm_actions
  cpu_target           = var.cpu_target
  requests_per_target  = var.requests_per_target
  emulator_compat      = var.emulator_compat
}
