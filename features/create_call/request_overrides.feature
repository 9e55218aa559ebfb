@v1 @p2p
Feature: Adjusting a documented request, and reading the call back
  Shows how a scenario changes a documented request before sending it (template variables,
  "the request sets", "the request removes") and that the service echoes the changed body;
  then reads the created call back with GET /v1.0/communications/calls/{id}.
  Built on the peer-to-peer VoIP examples 1 and 2 of the v1.0 Create call page.

  Scenario: Calling another user through the template's variables
    Given the variables:
      | name        | value                                |
      | callee_id   | 0c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f |
      | callee_name | Alice                                |
    And the app has the permissions "Calls.Initiate.All"
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response has:
      | path                                 | value                                |
      | targets[0].identity.user.id          | 0c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f |
      | targets[0].identity.user.displayName | Alice                                |
    And the bot receives notifications in order from "notifications/v1/p2p-connected.yaml"
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 500 ms

  Scenario: Overriding and removing request properties
    Documented example 2, but with another callee, a subject, a region and no languageId.

    Given the app has the permissions "Calls.Initiate.All, Calls.AccessMedia.All"
    And a call request from template "v1/p2p-voip-app-hosted"
    And the request sets:
      | path                                 | value                                |
      | targets[0].identity.user.displayName | Alice                                |
      | targets[0].identity.user.id          | 0c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f |
      | subject                              | Checking the overrides               |
    And the request sets "source.region" to "emea"
    And the request removes "source.languageId"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response has:
      | path                                 | value                                   |
      | targets[0].identity.user.displayName | Alice                                   |
      | targets[0].identity.user.id          | 0c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f    |
      | subject                              | Checking the overrides                  |
      | source.region                        | emea                                    |
      | source.languageId                    | "#notpresent"                           |
      | source.identity.application.id       | 2891555a-92ff-42e6-80fa-6e1300c6b5c6    |
      | mediaConfig["@odata.type"]           | "#microsoft.graph.appHostedMediaConfig" |
    And the bot receives notifications in order from "notifications/v1/p2p-connected.yaml"
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 500 ms

  Scenario: Reading the created call back
    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the bot receives notifications in order from "notifications/v1/p2p-connected.yaml"
    When the bot gets the call
    Then the response status is 200
    And the response matches:
      """
      "@odata.type": "#microsoft.graph.call"
      id: "${call.id}"
      state: "#regex establish(ing|ed)"
      direction: outgoing
      callChainId: "${call.callChainId}"
      myParticipantId: "${call.myParticipantId}"
      callbackUri: https://bot.contoso.com/callback
      targets:
        - identity:
            user:
              id: 112f7296-5fa4-42ca-bae8-6a692b15d4b8
              displayName: John
      """
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 500 ms
