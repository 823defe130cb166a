"""The SSM killswitch parameters (infra.md §6.3): created as "false", then owned by operators.

Later value changes (admin toggles, billing alarms) are ignored, so a deploy never un-pauses a
paused classifier.
"""
from __future__ import annotations

import pulumi
import pulumi_aws as aws

from chalicelib import resources


class Killswitches(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("innova:infra:Killswitches", name, None, opts)
        self.parameters: dict[str, aws.ssm.Parameter] = {}
        for parameter in resources.KILLSWITCH_PARAMETERS:
            self.parameters[parameter] = aws.ssm.Parameter(
                "Killswitch" + "".join(part.title().replace("_", "") for part in parameter.split("/")),
                name=parameter,
                type="String",
                value="false",
                description='"true" pauses the feature; toggled by the admin API and operators',
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["value"]),
            )
        self.register_outputs({})
