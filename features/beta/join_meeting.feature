@beta @meeting
Feature: Join a meeting on the beta endpoint POST /beta/app/calls
  The beta Create call page (2019): the bot joins a private meeting and a channel meeting,
  named by their chat thread (chatInfo) and organizer (meetingInfo), with service-hosted media.
  It also joins the channel meeting as a guest, in two forms: as documented in 2019 (the bot
  presents itself as a user with identityProvider "None") and in the newer form
  (source.identity.guest). Real traffic (tests/fixtures/captures) differs from the 2019 page's
  notifications; the specs follow real traffic (see notifications/beta/join-meeting.yaml).
  A bot that joins with its application identity is admitted: the
  roster lists the organizer and the bot. A guest waits in the lobby: the only roster it sees
  lists itself alone, with isInLobby true.

  Scenario: Join a private meeting with service-hosted media
    Given the app has the permissions "Calls.JoinGroupCall.All"
    And a call request from template "beta/join-private-meeting"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/beta/app/calls/${call.id}"
    And the response matches "responses/beta/call-establishing.yaml"
    And the response has:
      | path                                | value                                                                   |
      | subject                             | Test Call                                                               |
      | source.identity.application.id      | 8A34A46B-3D17-4ADC-8DCE-DC4E7D572698                                    |
      | chatInfo.threadId                   | "19:meeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3M2E0ODdmZDZk@thread.v2" |
      | chatInfo.messageId                  | "0"                                                                     |
      | meetingInfo.organizer.user.id       | 90ED37DC-D8E3-4E11-9DE3-30A955DDA06F                                    |
      | meetingInfo.organizer.user.tenantId | 49BFC225-8482-4AB8-94E7-76B48FDB9849                                    |
      | requestedModalities                 | [audio, video]                                                          |
    And the bot receives notifications in order from "notifications/beta/join-meeting.yaml"
    And every notification has the header "Authorization" matching "#regex Bearer .+"
    And the bot receives no further notifications within 500 ms

  Scenario: Join a channel meeting with service-hosted media
    Given the app has the permissions "Calls.JoinGroupCall.All"
    And a call request from template "beta/join-channel-meeting"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/beta/app/calls/${call.id}"
    And the response matches "responses/beta/call-establishing.yaml"
    And the response matches:
      """
      subject: Test Call
      source:
        identity:
          application:
            id: 8A34A46B-3D17-4ADC-8DCE-DC4E7D572698
      chatInfo:
        threadId: "19:meeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3M2E0ODdmZDZk@thread.v2"
        messageId: "1507228578052"
        replyChainMessageId: null
      meetingInfo:
        "@odata.type": "#microsoft.graph.organizerMeetingInfo"
        organizer:
          user:
            id: 90ED37DC-D8E3-4E11-9DE3-30A955DDA06F
            tenantId: 49BFC225-8482-4AB8-94E7-76B48FDB9849
      """
    And the bot receives notifications in order from "notifications/beta/join-meeting.yaml"
    And the bot receives no further notifications within 500 ms

  @guest
  Scenario: Join a channel meeting as a guest user (identityProvider "None"), as documented
    Given the app has the permissions "Calls.JoinGroupCallAsGuest.All"
    And a call request from template "beta/join-channel-meeting-as-guest-user"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/beta/app/calls/${call.id}"
    And the response matches "responses/beta/call-establishing.yaml"
    And the response matches:
      """
      source:
        identity:
          user:
            id: 8A34A46B-3D17-4ADC-8DCE-DC4E7D572698
            displayName: App_Guest_DisplayName
            identityProvider: "None"
          application: "#notpresent"
      chatInfo:
        messageId: "1507228578052"
      meetingInfo:
        organizer:
          user:
            id: 90ED37DC-D8E3-4E11-9DE3-30A955DDA06F
      """
    And the bot receives notifications in order:
      """
      - changeType: updated
        resource: "/app/calls/${call.id}"
        resourceUrl: "/communications/calls/${call.id}"
        resourceData:
          "@odata.type": "#microsoft.graph.call"
          state: establishing
      - changeType: updated
        resource: "/app/calls/${call.id}"
        resourceData:
          "@odata.type": "#microsoft.graph.call"
          state: established
          direction: outgoing
      - resourceData: { state: established, mediaState: { audio: active } }
      - changeType: updated
        resource: "/app/calls/${call.id}/participants"
        resourceData:
          - "@odata.type": "#microsoft.graph.participant"
            id: "${call.myParticipantId}"
            info:
              "@odata.type": "#microsoft.graph.participantInfo"
              identity:
                user:
                  id: 8A34A46B-3D17-4ADC-8DCE-DC4E7D572698
                  displayName: App_Guest_DisplayName
                  identityProvider: "None"
            mediaStreams: "#array"
            isMuted: "#boolean"
            isInLobby: true
      """
    And every notification has the header "Authorization" matching "#regex Bearer .+"
    And the bot receives no further notifications within 500 ms

  @guest
  Scenario: Join a channel meeting as a guest (source.identity.guest)
    Given the app has the permissions "Calls.JoinGroupCallAsGuest.All"
    And a call request from template "beta/join-channel-meeting-as-guest"
    When the bot creates the call
    Then the response status is 201
    And the response header "Location" is "${graph}/beta/app/calls/${call.id}"
    And the response matches "responses/beta/call-establishing.yaml"
    And the response has:
      | path                              | value                                |
      | source.identity.guest.id          | 8A34A46B-3D17-4ADC-8DCE-DC4E7D572698 |
      | source.identity.guest.displayName | App_Guest_DisplayName                |
      | source.identity.user              | "#notpresent"                        |
      | source.identity.application       | "#notpresent"                        |
      | chatInfo.messageId                | "1507228578052"                      |
      | meetingInfo.organizer.user.id     | 90ED37DC-D8E3-4E11-9DE3-30A955DDA06F |
    And the bot receives notifications in order:
      """
      - changeType: updated
        resource: "/app/calls/${call.id}"
        resourceUrl: "/communications/calls/${call.id}"
        resourceData:
          "@odata.type": "#microsoft.graph.call"
          state: establishing
      - changeType: updated
        resource: "/app/calls/${call.id}"
        resourceData:
          "@odata.type": "#microsoft.graph.call"
          state: established
          direction: outgoing
      - resourceData: { state: established, mediaState: { audio: active } }
      - changeType: updated
        resource: "/app/calls/${call.id}/participants"
        resourceData:
          - "@odata.type": "#microsoft.graph.participant"
            id: "${call.myParticipantId}"
            info:
              "@odata.type": "#microsoft.graph.participantInfo"
              identity:
                guest:
                  id: 8A34A46B-3D17-4ADC-8DCE-DC4E7D572698
                  displayName: App_Guest_DisplayName
                user: "#notpresent"
            mediaStreams: "#array"
            isMuted: "#boolean"
            isInLobby: true
      """
    And the bot receives no further notifications within 500 ms
