# The Graph error step compares the status too: the right code with the wrong status fails.
# expect: not the Graph error 403 InvalidAuthenticationToken
# expect: status: expected 403, got 401
# expect: "message": "Access token is empty."
Feature: Must fail - wrong Graph error status
  Scenario: A missing token is expected to be forbidden rather than unauthorized
    Given the bot sends no token
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response is the Graph error 403 "InvalidAuthenticationToken"
