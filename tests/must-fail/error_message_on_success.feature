# An error message is expected from a response that is not a Graph error.
# expect: the response is not a Graph error envelope
# expect: answered 201:
Feature: Must fail - an error message expected from a created call
  Scenario: The created call is expected to carry an error message
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response error message is "Call not found."
