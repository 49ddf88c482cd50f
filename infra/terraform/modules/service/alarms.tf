# Alarms from the manifest's [slo]; the ECS service also uses them as deployment alarms.

locals {
  dimensions = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = aws_lb_target_group.this.arn_suffix
  }
  # The SLO's error budget in percent, times the burn rate that should page.
  error_threshold = min(100, (100 - var.service.slo.availability) * var.error_burn_rate)
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "${local.full}-p99-latency"
  alarm_description   = "p99 TargetResponseTime of ${var.name} above the SLO's ${var.service.slo.p99_ms} ms."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p99"
  dimensions          = local.dimensions
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.service.slo.p99_ms / 1000
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${local.full}-5xx-rate"
  alarm_description   = "5xx responses of ${var.name} above ${local.error_threshold}% of requests (SLO ${var.service.slo.availability}%)."
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.error_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx percent"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.dimensions
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.dimensions
      period      = 60
      stat        = "Sum"
    }
  }
}
