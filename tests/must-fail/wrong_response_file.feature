# A response file pattern that must fail, with a marker mismatch.
# expect: the response body does not match responses/wrong-shape.yaml
# expect: $.myParticipantId: expected a number, got "
# expect: $.subject: expected absent, got null
Feature: Must fail - response file
  Scenario: The response does not have the shape the file says
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response matches "responses/wrong-shape.yaml"
