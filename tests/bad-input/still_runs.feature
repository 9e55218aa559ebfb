@v1 @p2p @pstn
Feature: Peer-to-peer PSTN call (v1.0 Create call, examples 7 and 8)
  The bot, as an application instance with a phone number assigned, calls the phone number
  +12345678901 through POST /v1.0/communications/calls. In example 7 the service hosts the
  media, in example 8 the application does. A peer-to-peer call gets call-state notifications
  only: establishing, established, then an update with the media active.

  Scenario: Example 7 - peer-to-peer PSTN call with service-hosted media
    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "v1/p2p-pstn-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response header "request-id" matches "#uuid"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response matches "responses/common/unset-call-extras.yaml"
    And the response matches:
      """
      tenantId: "${tenant_id}"
      callbackUri: https://bot.contoso.com/callback
      source:
        "@odata.type": "#microsoft.graph.participantInfo"
        identity:
          "@odata.type": "#microsoft.graph.identitySet"
          applicationInstance:
            "@odata.type": "#microsoft.graph.identity"
            displayName: Calling Bot
            id: 3d913abb-aec0-4964-8fa6-3c6850c4f278
          application: "#notpresent"
      targets:
        - "@odata.type": "#microsoft.graph.invitationParticipantInfo"
          identity:
            "@odata.type": "#microsoft.graph.identitySet"
            phone:
              "@odata.type": "#microsoft.graph.identity"
              id: "+12345678901"
      requestedModalities:
        - audio
      mediaConfig:
        "@odata.type": "#microsoft.graph.serviceHostedMediaConfig"
      """
    # The v1.0 page's notification examples show callbackUri, resourceData.id and direction on
    # every item; real traffic (tests/fixtures/captures, P2P/SimpleTest) does not, and adds a
    # mediaState update. The stand-in follows real traffic.
    And the bot receives notifications in order from "notifications/v1/p2p-connected.yaml"
    And the bot receives no further notifications within 500 ms

  Scenario: Example 8 - peer-to-peer PSTN call with application-hosted media
    Given the app has the permissions "Calls.Initiate.All, Calls.AccessMedia.All"
    And a call request from template "v1/p2p-pstn-app-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}"
    And the response matches "responses/v1/call-establishing.yaml"
    And the response matches "responses/common/unset-call-extras.yaml"
    And the response has:
      | path                                            | value                                   |
      | tenantId                                        | "${tenant_id}"                          |
      | source.identity.applicationInstance.id          | 3d913abb-aec0-4964-8fa6-3c6850c4f278    |
      | source.identity.applicationInstance.displayName | Calling Bot                             |
      | targets[0].identity.phone.id                    | "+12345678901"                          |
      | mediaConfig["@odata.type"]                      | "#microsoft.graph.appHostedMediaConfig" |
      | mediaConfig.blob                                | "<Media Session Configuration>"         |
    # The v1.0 page's notification examples show callbackUri, resourceData.id and direction on
    # every item; real traffic (tests/fixtures/captures, P2P/SimpleTest) does not, and adds a
    # mediaState update. The stand-in follows real traffic.
    And the bot receives notifications in order from "notifications/v1/p2p-connected.yaml"
    And the bot receives no further notifications within 500 ms
