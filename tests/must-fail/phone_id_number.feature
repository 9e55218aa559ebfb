# A phone number written unquoted in a table is the JSON number JSON spells that way: the
# stand-in refuses it for the identity's String id, as Graph does, and the step shows why.
# expect: expected status 201, got 400
# expect: Cannot convert the literal '14255550123' to the expected type 'Edm.String'.
Feature: Must fail - a phone number sent as a JSON number
  Scenario: The target's phone id is a number
    Given a call request from template "v1/p2p-pstn-service-hosted"
    And the request sets:
      | path                         | value       |
      | targets[0].identity.phone.id | 14255550123 |
    When the bot creates the call
    Then the response status is 201
