# Run with --scenario-timeout 1 by tests/cli/cli.rs: the answer comes after the scenario's limit.
Feature: A scenario that outlives its time limit
  Scenario: Graph answers three seconds late
    Given a call request from template "v1/p2p-voip-service-hosted"
    And Graph answers the next request 3 seconds late
    When the bot creates the call
    Then the response status is 201
