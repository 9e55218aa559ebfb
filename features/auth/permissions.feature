@auth @permissions @mock-only
Feature: Application permissions for each kind of call
  Graph decides the permission a create needs from the request: one target and no meetingInfo
  is a peer-to-peer call (Calls.Initiate.All), more than one target a group call
  (Calls.InitiateGroupCall.All), meetingInfo a meeting join (Calls.JoinGroupCall.All), and
  meetingInfo with a guest source a guest join (Calls.JoinGroupCallAsGuest.All). Application-
  hosted media needs Calls.AccessMedia.All as well. Without them the create is refused with
  403 7504 and no call is made. Each kind is tried with every other calling role (so only the
  one it needs is missing), and with exactly the roles it needs.

  Scenario Outline: <call> without <missing> is refused
    Given the app has the permissions "<roles>"
    And a call request from template "<template>"
    When the bot creates the call
    Then the response is the Graph error 403 "7504"
    And the response error message is "Insufficient enterprise tenant permissions, cannot access this API."
    And the bot receives no further notifications within 500 ms

    Examples: the role of the kind of call is missing
      | call                        | template                                | missing                        | roles                                                                                                       |
      | a peer-to-peer VoIP call    | v1/p2p-voip-service-hosted              | Calls.Initiate.All             | Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All, Calls.AccessMedia.All |
      | a peer-to-peer PSTN call    | v1/p2p-pstn-service-hosted              | Calls.Initiate.All             | Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All, Calls.AccessMedia.All |
      | a beta peer-to-peer call    | beta/p2p-service-hosted                 | Calls.Initiate.All             | Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All, Calls.AccessMedia.All |
      | a group call                | v1/group-call-service-hosted            | Calls.InitiateGroupCall.All    | Calls.Initiate.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All, Calls.AccessMedia.All          |
      | a beta group call           | beta/group-call                         | Calls.InitiateGroupCall.All    | Calls.Initiate.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All, Calls.AccessMedia.All          |
      | a meeting join              | v1/join-meeting-service-hosted          | Calls.JoinGroupCall.All        | Calls.Initiate.All, Calls.InitiateGroupCall.All, Calls.JoinGroupCallAsGuest.All, Calls.AccessMedia.All      |
      | a beta channel meeting join | beta/join-channel-meeting               | Calls.JoinGroupCall.All        | Calls.Initiate.All, Calls.InitiateGroupCall.All, Calls.JoinGroupCallAsGuest.All, Calls.AccessMedia.All      |
      | a guest join                | beta/join-channel-meeting-as-guest      | Calls.JoinGroupCallAsGuest.All | Calls.Initiate.All, Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.AccessMedia.All             |
      | a guest join as a user      | beta/join-channel-meeting-as-guest-user | Calls.JoinGroupCallAsGuest.All | Calls.Initiate.All, Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.AccessMedia.All             |

    Examples: application-hosted media without Calls.AccessMedia.All
      | call                                 | template                   | missing               | roles                                                                                                    |
      | an app-hosted peer-to-peer call      | v1/p2p-voip-app-hosted     | Calls.AccessMedia.All | Calls.Initiate.All, Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All |
      | an app-hosted PSTN call              | v1/p2p-pstn-app-hosted     | Calls.AccessMedia.All | Calls.Initiate.All, Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All |
      | an app-hosted group call             | v1/group-call-app-hosted   | Calls.AccessMedia.All | Calls.Initiate.All, Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All |
      | an app-hosted meeting join           | v1/join-meeting-app-hosted | Calls.AccessMedia.All | Calls.Initiate.All, Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All |
      | an app-hosted beta peer-to-peer call | beta/p2p-app-hosted        | Calls.AccessMedia.All | Calls.Initiate.All, Calls.InitiateGroupCall.All, Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All |

    Examples: Calls.AccessMedia.All alone starts no call
      | call                            | template                   | missing                     | roles                 |
      | an app-hosted peer-to-peer call | v1/p2p-voip-app-hosted     | Calls.Initiate.All          | Calls.AccessMedia.All |
      | an app-hosted group call        | v1/group-call-app-hosted   | Calls.InitiateGroupCall.All | Calls.AccessMedia.All |
      | an app-hosted meeting join      | v1/join-meeting-app-hosted | Calls.JoinGroupCall.All     | Calls.AccessMedia.All |

    Examples: the docs' plural spellings are not the real role names
      | call           | template                           | missing                        | roles                           |
      | a group call   | v1/group-call-service-hosted       | Calls.InitiateGroupCall.All    | Calls.InitiateGroupCalls.All    |
      | a meeting join | v1/join-meeting-service-hosted     | Calls.JoinGroupCall.All        | Calls.JoinGroupCalls.All        |
      | a guest join   | beta/join-channel-meeting-as-guest | Calls.JoinGroupCallAsGuest.All | Calls.JoinGroupCallsAsGuest.All |

  Scenario Outline: <call> with exactly <roles> is created
    Given the app has the permissions "<roles>"
    And a call request from template "<template>"
    When the bot creates the call
    Then the response status is 201
    And the response has:
      | path  | value        |
      | id    | "#uuid"      |
      | state | establishing |

    Examples:
      | call                                 | template                                | roles                                              |
      | a peer-to-peer VoIP call             | v1/p2p-voip-service-hosted              | Calls.Initiate.All                                 |
      | a peer-to-peer PSTN call             | v1/p2p-pstn-service-hosted              | Calls.Initiate.All                                 |
      | a beta peer-to-peer call             | beta/p2p-service-hosted                 | Calls.Initiate.All                                 |
      | a group call                         | v1/group-call-service-hosted            | Calls.InitiateGroupCall.All                        |
      | a beta group call                    | beta/group-call                         | Calls.InitiateGroupCall.All                        |
      | a meeting join                       | v1/join-meeting-service-hosted          | Calls.JoinGroupCall.All                            |
      | a beta channel meeting join          | beta/join-channel-meeting               | Calls.JoinGroupCall.All                            |
      | a beta private meeting join          | beta/join-private-meeting               | Calls.JoinGroupCall.All                            |
      | a guest join                         | beta/join-channel-meeting-as-guest      | Calls.JoinGroupCallAsGuest.All                     |
      | a guest join as a user               | beta/join-channel-meeting-as-guest-user | Calls.JoinGroupCallAsGuest.All                     |
      | an app-hosted peer-to-peer call      | v1/p2p-voip-app-hosted                  | Calls.Initiate.All, Calls.AccessMedia.All          |
      | an app-hosted PSTN call              | v1/p2p-pstn-app-hosted                  | Calls.Initiate.All, Calls.AccessMedia.All          |
      | an app-hosted group call             | v1/group-call-app-hosted                | Calls.InitiateGroupCall.All, Calls.AccessMedia.All |
      | an app-hosted meeting join           | v1/join-meeting-app-hosted              | Calls.JoinGroupCall.All, Calls.AccessMedia.All     |
      | an app-hosted beta peer-to-peer call | beta/p2p-app-hosted                     | Calls.Initiate.All, Calls.AccessMedia.All          |

  Scenario: A group call with a single target is a peer-to-peer call
    Documented example 3 without its second target needs Calls.Initiate.All, not
    Calls.InitiateGroupCall.All.

    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "v1/group-call-service-hosted"
    And the request removes "targets[1]"
    When the bot creates the call
    Then the response status is 201

  Scenario: A peer-to-peer call with a second target becomes a group call
    Given the app has the permissions "Calls.Initiate.All"
    And a call request from template "v1/p2p-voip-service-hosted"
    And the request sets:
      | path                        | value                                |
      | targets[1].identity.user.id | 0c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f |
    When the bot creates the call
    Then the response is the Graph error 403 "7504"
    And the bot receives no further notifications within 500 ms
