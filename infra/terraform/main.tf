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

  # Every role this stack creates carries it; the CI deploy role may create no other kind.
  permissions_boundary_arn = coalesce(
    var.permissions_boundary_arn,
    "arn:${local.aws.partition}:iam::${local.aws.account_id}:policy/${var.project}-workload-boundary",
  )

  # HTTPS unless ENV=local or an explicit allow_http (flotilla's preflight says so first).
  https           = var.domain != null || var.certificate_arn != null
  certificate_arn = var.domain != null ? module.domain[0].certificate_arn : var.certificate_arn
  url             = var.domain != null ? module.domain[0].url : module.alb.url
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

  permissions_boundary_arn = local.permissions_boundary_arn
}

module "alb" {
  source = "./modules/alb"

  name                = local.name
  vpc_id              = module.network.vpc_id
  public_subnet_ids   = module.network.public_subnet_ids
  https               = local.https
  certificate_arn     = local.certificate_arn
  ingress_cidrs       = var.ingress_cidrs
  deletion_protection = var.alb_deletion_protection
  access_logs         = var.alb_access_logs
  access_logs_days    = var.alb_access_logs_days
  aws                 = local.aws
}

module "domain" {
  source = "./modules/domain"
  count  = var.domain != null ? 1 : 0

  domain       = var.domain
  hosted_zone  = var.hosted_zone
  alb_dns_name = module.alb.dns_name
  alb_zone_id  = module.alb.zone_id
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

  cluster_arn    = module.cluster.arn
  cluster_name   = module.cluster.name
  vpc_id         = module.network.vpc_id
  vpc_cidr       = module.network.vpc_cidr
  subnet_ids     = module.network.private_subnet_ids
  internal_port  = var.internal_port
  internal_cidrs = var.internal_cidrs

  permissions_boundary_arn = local.permissions_boundary_arn
  alb_security_group_id    = module.alb.security_group_id
  alb_arn_suffix           = module.alb.arn_suffix
  alb_url                  = local.url
  listener_arn             = module.alb.listener_arn

  deregistration_delay = var.deregistration_delay
  log_retention_days   = var.log_retention_days
  log_kms_key_arn      = var.log_kms_key_arn
  alarm_actions        = var.alarm_actions
  cpu_target           = var.cpu_target
  requests_per_target  = var.requests_per_target
  emulator_compat      = var.emulator_compat
}
