@errors @mock-only
Feature: Create-call requests Graph refuses
  A create whose body is JSON can still be refused for what it asks: Graph answers 400 with code
  8523 "Missing mediaConfig information." when mediaConfig is absent; the stand-in answers 400
  BadRequest (its own messages, which name what is wrong) for a missing or non-https callbackUri
  (plain http is allowed on loopback in mock mode), an unknown mediaConfig type, empty or
  unknown requestedModalities, a call without targets or a target without identity, a group
  call with more than 5 targets, and a meeting join without chatInfo. A refused create makes no
  call, so the bot gets no notification.

  Rule: mediaConfig is required and must be a known kind

    Scenario Outline: <call> without mediaConfig
      Given a call request from template "<template>"
      And the request removes "mediaConfig"
      When the bot creates the call
      Then the response is the Graph error 400 "8523"
      And the response error message is "Missing mediaConfig information."
      And the bot receives no further notifications within 500 ms

      Examples:
        | call                      | template                           |
        | a peer-to-peer VoIP call  | v1/p2p-voip-service-hosted         |
        | a peer-to-peer PSTN call  | v1/p2p-pstn-app-hosted             |
        | a group call              | v1/group-call-service-hosted       |
        | a meeting join            | v1/join-meeting-service-hosted     |
        | a beta call on /app/calls | beta/p2p-service-hosted            |
        | a beta guest join         | beta/join-channel-meeting-as-guest |

    Scenario: A null mediaConfig is a missing one
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request sets "mediaConfig" to "null"
      When the bot creates the call
      Then the response is the Graph error 400 "8523"
      And the response error message is "Missing mediaConfig information."

    Scenario: An unknown mediaConfig type
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request sets:
        | path                       | value                                     |
        | mediaConfig["@odata.type"] | "#microsoft.graph.localHostedMediaConfig" |
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*mediaConfig.*#microsoft\\.graph\\.localHostedMediaConfig.*"
        """
      And the bot receives no further notifications within 500 ms

    Scenario: A mediaConfig without an @odata.type
      Given a call request from template "v1/p2p-voip-app-hosted"
      And the request removes 'mediaConfig["@odata.type"]'
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*mediaConfig.*@odata\\.type.*"
        """

  Rule: callbackUri is required and must be https, except on loopback in mock mode

    Scenario: No callbackUri
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request removes "callbackUri"
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*callbackUri.*"
        """
      And the bot receives no further notifications within 500 ms

    Scenario Outline: A callbackUri Graph cannot call back (<uri>)
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request sets:
        | path        | value |
        | callbackUri | <uri> |
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*callbackUri.*"
        """
      And the bot receives no further notifications within 500 ms

      Examples:
        | uri                              |
        | http://bot.contoso.com/callback  |
        | http://10.0.0.7:8080/callback    |
        | http://127.0.0.1.nip.io/callback |
        | ftp://bot.contoso.com/callback   |
        | /callback                        |
        | ""                               |
        | 42                               |

    Scenario: Plain http to the scenario's own loopback inbox is allowed
      Given the app has the permissions "Calls.Initiate.All"
      And a call request from template "v1/p2p-voip-own-callback"
      When the bot creates the call
      Then the response status is 201
      And the response has:
        | path        | value             |
        | callbackUri | "${callback_uri}" |
      And the bot receives notifications in order from "notifications/v1/p2p-connected.yaml"
      # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
      # (capture P2PTest2Event4..6; FIDELITY.md).
      Then the bot receives notifications in order:
        | resourceUrl                                   | resourceData.chatInfo.messageId |
        | /communications/calls/${call.id}              | "0"                             |
        | /communications/calls/${call.id}              | "0"                             |
        | /communications/calls/${call.id}/participants |                                 |
      And the bot receives no further notifications within 500 ms

    Scenario Outline: Plain http on another loopback address is allowed (<uri>)
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request sets "callbackUri" to "<uri>"
      When the bot creates the call
      Then the response status is 201

      Examples:
        | uri                            |
        | http://localhost:8080/callback |
        | http://127.0.0.1/callback      |
        | http://[::1]:8080/callback     |

  Rule: requestedModalities, when present, lists known modalities

    Scenario: Empty requestedModalities
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request sets "requestedModalities" to "[]"
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*requestedModalities.*"
        """
      And the bot receives no further notifications within 500 ms

    Scenario Outline: An unknown modality (<modalities>)
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request sets "requestedModalities" to "<modalities>"
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*(modality|requestedModalities).*"
        """
      And the bot receives no further notifications within 500 ms

      Examples:
        | modalities     |
        | [audio, smell] |
        | [Audio]        |
        | [audio, null]  |
        | [[audio]]      |
        | audio          |

    Scenario: Without requestedModalities (the 2019 beta example omits it)
      Given the app has the permissions "Calls.Initiate.All"
      And a call request from template "v1/p2p-voip-service-hosted"
      And the request removes "requestedModalities"
      When the bot creates the call
      Then the response status is 201

    Scenario: Every documented modality
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request sets "requestedModalities" to "[audio, video, videoBasedScreenSharing, data]"
      When the bot creates the call
      Then the response status is 201
      And the response has:
        | path                | value                                         |
        | requestedModalities | [audio, video, videoBasedScreenSharing, data] |

  Rule: a call has 1 to 5 targets, each with an identity

    Scenario: A peer-to-peer call without targets
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request removes "targets"
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*target.*"
        """
      And the bot receives no further notifications within 500 ms

    Scenario: A call with an empty list of targets
      Given a call request from template "v1/p2p-pstn-service-hosted"
      And the request sets "targets" to "[]"
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*target.*"
        """

    Scenario Outline: A target without an identity (<change>)
      Given a call request from template "v1/group-call-service-hosted"
      And the request sets:
        | path   | value   |
        | <path> | <value> |
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*targets\\[<index>\\].*identity.*"
        """
      And the bot receives no further notifications within 500 ms

      Examples:
        | change                                | path                | index | value                                           |
        | the first target's identity is empty  | targets[0].identity | 0     | {}                                              |
        | the second target's identity is null  | targets[1].identity | 1     | null                                            |
        | the identity has only its @odata.type | targets[0].identity | 0     | {"@odata.type": "#microsoft.graph.identitySet"} |
        | the target is a bare string           | targets[1]          | 1     | 98da8a1a-1b87-452c-a713-65d3f10b5555            |

    Scenario: A target whose identity was removed
      Given a call request from template "v1/p2p-voip-service-hosted"
      And the request removes "targets[0].identity"
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*targets\\[0\\].*identity.*"
        """

    Scenario: A group call with 6 targets
      Given a call request from template "v1/group-call-service-hosted"
      And the request sets:
        | path                        | value                                |
        | targets[2].identity.user.id | 3a0c1f52-5b8e-4d2a-9f61-0b7c2e4d5a01 |
        | targets[3].identity.user.id | 3a0c1f52-5b8e-4d2a-9f61-0b7c2e4d5a02 |
        | targets[4].identity.user.id | 3a0c1f52-5b8e-4d2a-9f61-0b7c2e4d5a03 |
        | targets[5].identity.user.id | 3a0c1f52-5b8e-4d2a-9f61-0b7c2e4d5a04 |
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*5.*"
        """
      And the bot receives no further notifications within 500 ms

    Scenario: A group call with 5 targets, the most Graph takes
      Given the app has the permissions "Calls.InitiateGroupCall.All"
      And a call request from template "v1/group-call-service-hosted"
      And the request sets:
        | path                         | value                                |
        | targets[2].identity.user.id  | 3a0c1f52-5b8e-4d2a-9f61-0b7c2e4d5a01 |
        | targets[3].identity.user.id  | 3a0c1f52-5b8e-4d2a-9f61-0b7c2e4d5a02 |
        | targets[4].identity.phone.id | "+12345678901"                       |
      When the bot creates the call
      Then the response status is 201
      And the response has:
        | path                         | value          |
        | targets[4].identity.phone.id | "+12345678901" |
        | targets[5]                   | "#notpresent"  |
      And the bot receives notifications in order:
        | resourceData.state |
        | establishing       |
        | established        |

  Rule: a meeting join names the meeting's chat

    Scenario Outline: <join> without chatInfo
      Given a call request from template "<template>"
      And the request removes "chatInfo"
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*chatInfo.*"
        """
      And the bot receives no further notifications within 500 ms

      Examples:
        | join                   | template                           |
        | a meeting join         | v1/join-meeting-service-hosted     |
        | a beta channel meeting | beta/join-channel-meeting          |
        | a guest join           | beta/join-channel-meeting-as-guest |

    Scenario: A meeting join with a null chatInfo
      Given a call request from template "v1/join-meeting-app-hosted"
      And the request sets "chatInfo" to "null"
      When the bot creates the call
      Then the response is the Graph error 400 "BadRequest"
      And the response matches:
        """
        error:
          message: "#regex .*chatInfo.*"
        """
