Feature: Broken
  Scenario: no steps keyword
    Given a call request from template "v1/p2p-voip-service-hosted"
  Scenariooo broken line
   | a |
