# A variable misspelt in a notifications table is reported at its cell, with the closest
# defined name, not only as "table row 1, column ...".
# expect: undefined_variable_notification_table.feature:11:31: undefined variable "call.idd"; did you mean "call.id"?
# expect: table row 1, column "resourceUrl"
Feature: Must fail - undefined variable in a notifications table
  Scenario: The call id is misspelt in the expected notifications
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                         | resourceData.state |
      | /communications/calls/${call.idd}   | establishing       |
