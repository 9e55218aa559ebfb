# A field assertion (table form) that must fail, naming the JSON path.
# expect: $.state: expected "established", got "establishing"
# expect: $.direction: expected "incoming", got "outgoing"
Feature: Must fail - wrong field value
  Scenario: The new call is expected to be established already
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response has:
      | path      | value       |
      | state     | established |
      | direction | incoming    |
