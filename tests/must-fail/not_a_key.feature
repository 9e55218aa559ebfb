# A keypress of several keys is refused at the step.
# expect: the callee presses 99999
# expect: "99999" is not a key on a phone: press one of 0-9, *, # or A-D
Feature: Must fail - not a key on a phone
  Scenario: The callee presses 99999
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    And the bot subscribes to tones
    And the callee presses 99999
