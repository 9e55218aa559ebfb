# expect: header request-id: expected a string matching
Feature: Must fail - header pattern
  Scenario: The request-id is expected to be digits only
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response header "request-id" matches "#regex [0-9]+"
