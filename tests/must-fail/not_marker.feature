# `#not` refuses a value: the call id Graph gives is never the one the bot made up... unless
# a pattern says it must not be a UUID, as this one wrongly does.
# expect: $.id: expected anything but a UUID, got "
# expect: $.subject: expected anything but "Daily", got "Daily"
Feature: Must fail - the negation marker
  Scenario: Values that must not be there
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the request sets "subject" to "Daily"
    When the bot creates the call
    Then the response matches:
      """
      id: "#not #uuid"
      subject: "#not Daily"
      """
