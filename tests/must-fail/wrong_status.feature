# A status assertion that must fail.
# expect: expected status 404, got 201
# expect: POST http://127.0.0.1
Feature: Must fail - wrong status
  Scenario: The create is expected to be refused, but it succeeds
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 404
