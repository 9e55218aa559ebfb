# The error message is compared exactly.
# expect: error message: expected "Missing media configuration.", got "Missing mediaConfig information."
Feature: Must fail - wrong Graph error message
  Scenario: The 8523 message is expected in other words
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the request removes "mediaConfig"
    When the bot creates the call
    Then the response is the Graph error 400 "8523"
    And the response error message is "Missing media configuration."
