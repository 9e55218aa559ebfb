@lifecycle @mock-only
Feature: What a peer-to-peer call gets once established, by whom it calls
  A call to a Teams user gets, after the media update, the call's own chat (a `19:<guid>`
  thread, not a meeting's), the meeting Graph hosts it in (a tokenMeetingInfo) and a roster of
  the two (capture P2P/CallUpdates/P2PTest2Event3..6, a call with the Teams user Sam). A call to
  a phone gets the media update alone (capture P2P/SimpleTest/P2PTest1Event3). comms-samples
  #704 (chatInfo null after a call with a Teams user was escalated by an invite) is about an
  escalated call's GET, not these notifications; see FIDELITY.md.

  Scenario: A call to a Teams user: media, chat, meeting, roster of two
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.state | resourceData.chatInfo.threadId | resourceData.meetingInfo["@odata.type"] | resourceData[1].id        |
      | /communications/calls/${call.id}              | establishing       | "#notpresent"                  | "#notpresent"                           |                           |
      | /communications/calls/${call.id}              | established        | "#notpresent"                  | "#notpresent"                           |                           |
      | /communications/calls/${call.id}              | established        | "#notpresent"                  | "#notpresent"                           |                           |
      | /communications/calls/${call.id}              | established        | "#regex ^19:[0-9a-f-]{36}$"    | "#notpresent"                           |                           |
      | /communications/calls/${call.id}              | established        | "#regex ^19:[0-9a-f-]{36}$"    | "#microsoft.graph.tokenMeetingInfo"     |                           |
      | /communications/calls/${call.id}/participants |                    |                                |                                         | "${call.myParticipantId}" |
    And the bot receives no further notifications within 1 minute

  Scenario: A call to a phone: the media update alone
    Given a call request from template "v1/p2p-pstn-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state | resourceData.mediaState.audio | resourceData.chatInfo |
      | establishing       |                               | "#notpresent"         |
      | established        |                               | "#notpresent"         |
      | established        | active                        | "#notpresent"         |
    And the bot receives no further notifications within 1 minute
