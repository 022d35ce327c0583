// Pins the nexus WAMP router that uvwamp's tests run against: scripts/setup.sh builds this
// module's nexusd tool into .tools/bin/.
module uvwamp.test/routers/nexus

go 1.25

tool github.com/gammazero/nexus/v3/nexusd

require (
	github.com/gammazero/deque v1.2.1 // indirect
	github.com/gammazero/nexus/v3 v3.3.0 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/ugorji/go/codec v1.3.1 // indirect
	golang.org/x/crypto v0.48.0 // indirect
)
