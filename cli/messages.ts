/**
 * The message catalog: every piece of text a user sees, in English and Korean.
 * Placeholders are written `{name}` and filled by {@linkcode translate}.
 *
 * @module
 */

/** The languages in catalog order. */
export const LANGS = ["en", "ko"] as const;

/** The languages sockit speaks. */
export type Lang = typeof LANGS[number];

const en = {
  // CLI and help
  "cli.description": "A TCP toolkit for the classroom: send files to a receiver, echo messages.",
  "cli.usage": "Usage:",
  "cli.arguments": "Arguments:",
  "cli.options": "Options:",
  "cli.commands": "Commands:",
  "cli.help-hint": "Run '{command} --help' for usage.",
  "cmd.echo-server": "Run a TCP echo server that sends back whatever each client sends.",
  "cmd.echo": "Send a message to an echo server and check that it comes back unchanged.",
  "cmd.receive": "Receive files from classmates into a folder.",
  "cmd.send": "Send files or folders to a receiver.",
  "cmd.spy":
    "Relay TCP clients to a server and show every byte both ways, explained (for learning).",
  "opt.listen": "where clients connect: PORT or HOST:PORT (host 127.0.0.1)",
  "opt.spy-to": "the real server, HOST:PORT",
  "usage.spy-needs":
    "spy needs --listen PORT and --to HOST:PORT, e.g. {command} spy --listen 9000 --to 127.0.0.1:9999",
  "cmd.help": "Show help for a command.",
  "arg.message": "message to send (default: read lines from standard input)",
  "arg.paths": "files or folders to send",
  "opt.help": "show this help",
  "opt.version": "print the sockit version",
  "opt.host": "address to listen on (default: all interfaces)",
  "opt.port": "TCP port to listen on",
  "opt.to": "where to connect, HOST or HOST:PORT",
  "opt.lang": "language of messages: en or ko (default: the system's language)",
  "opt.json": "print one JSON object per event on standard output",
  "opt.quiet": "print only errors and the final result",
  "opt.trace": "show every byte that crosses the wire",
  "opt.count": "send the message N times and report round-trip times",
  "opt.interval": "seconds to wait between messages with --count",
  "opt.timeout": "seconds to wait for the server before giving up",
  // Command line: value names, usage examples, plurals (kept together)
  "cli.usage-options": "[options]",
  "cli.usage-command": "[command]",
  "val.command": "command",
  "val.lang": "lang",
  "val.host": "host",
  "val.port": "port",
  "val.to": "host[:port]",
  "val.n": "n",
  "val.seconds": "seconds",
  "val.message": "message",
  "val.paths": "paths",
  "val.dir": "dir",
  "val.size": "size",
  "val.code": "code",
  "val.name": "name",
  "val.file": "file",
  "usage.unknown-option-suggest": "Unknown option '{value}'. Did you mean {suggestion}?",
  "usage.one-of": "one of {names}",
  "usage.missing-paths": "Say which files or folders to send, for example: {example}",
  "usage.single-dash": "'{value}' has one dash; long options take two: {option}",
  "usage.chunk-size-limit":
    "--chunk-size {value} is too large: at most {max}, because every transfer keeps a buffer of that size in memory (larger is not faster).",
  "send.plan-folders":
    "Sending {files} {files:file|files} ({bytes}) and {folders} empty {folders:folder|folders}",
  "progress.total": "All files",
  "progress.left": "{time} left",
  "progress.amount": "{size} in {duration}, {rate}",
  "progress.more": "+{count} more {count:transfer|transfers}",
  "recv.hint-file": "FILE",
  "recv.hint-ip": "THIS_COMPUTER_IP",
  "send.retry-timeout":
    "The receiver stopped answering; reconnecting in {seconds} s (attempt {attempt} of {retries})…",
  "send.interrupted":
    "Interrupted while sending {path}: up to {sent} of {size} reached the receiver, which keeps what arrived. Run the same command again to resume.",
  "send.interrupted-classic":
    "Interrupted while sending {path} ({sent} of {size} sent). Classic mode cannot resume: send the file again.",
  "send.interrupted-between":
    "Interrupted between files: the files reported as sent above are stored; send the others again.",
  "send.summary-interrupted": "Stopped: {files} of {total} {total:file|files} sent, {amount}.",
  "echo.type-lines":
    "Type lines to send; the server sends each one back. Press Ctrl+D to end (on Windows Ctrl+Z, then Enter).",
  "send.classic-several":
    "Careful: --classic sends {files} files one after another, and the lesson's receiver (file_receiver.py) saves each under the same name, so it keeps only the last. Send one file at a time to it, or use sockit receive there, which keeps them all.",
  "send.classic-kept":
    "What the other side keeps: the lesson's receiver, only the last file ({path}); sockit receive, every file.",
  "send.skipped": "Not sending {paths}: Git's history folders (.git) are never sent.",
  "send.hidden": "Also sending hidden files: {paths}",
  "send.and-more": "and {count} more",
  "usage.unknown-command-suggest": "Unknown command '{value}'. Did you mean {suggestion}?",
  // Usage errors (exit code 2)
  "usage.unknown-option": "Unknown option '{value}'.",
  "usage.unknown-command":
    "Unknown command '{value}'. Commands: echo-server, echo, receive, send, receivers, spy.",
  "usage.missing-option-value": "Option {option} needs a value, for example: {example}",
  "usage.excess-arguments":
    "{command} takes no arguments such as '{value}'; for example: {example}",
  "usage.bad-lang": "Unknown language '{value}'; use en or ko.",
  "usage.bad-number": "{option} needs a number of seconds, not '{value}'.",
  "usage.bad-whole-number": "{option} needs a whole number of at least {min}, not '{value}'.",
  // Shared
  "net.reach": "Classmates can reach this machine at: {addresses}",
  "net.reach-none":
    "No network address other than loopback was found; only this machine can connect.",
  "net.stopping": "Stopping… (press Ctrl+C again to quit at once)",
  // Echo server
  "echo.listening": "Echo server listening on {address}. Press Ctrl+C to stop.",
  "echo.connected": "Connected by {peer}",
  "echo.received": "Received from {peer}: {text}",
  "echo.closed": "Disconnected by {peer} (closed normally, {bytes} echoed)",
  "echo.reset": "Disconnected by {peer} (connection reset, {bytes} echoed)",
  "echo.client-error": "Connection with {peer} failed: {reason}",
  "echo.summary":
    "Echo server stopped: {connections} {connections:connection|connections} served, {bytes} echoed.",
  // Echo client
  "echo.reply": "Received: {text}",
  "echo.ping": "{bytes} {bytes:byte|bytes} from {peer}: seq={seq} time={ms} ms",
  "echo.stats":
    "{sent} sent, {matched} echoed intact, round trip min/avg/max = {min}/{avg}/{max} ms",
  // Trace
  "trace.sent": "→ sent {bytes} B",
  "trace.received": "← received {bytes} B",
  "trace.handshake": "[handshake]",
  "trace.record": "[encrypted record]",
  "trace.plaintext": "[inside records]",
  // Pairing codes refused (`problem` of bad-code errors)
  "code.empty": "it is empty",
  "code.missing-nameplate": "it must start with the number, as in 7-guitar-ocean-lamp",
  "code.bad-nameplate": "the number in front must be from 1 to {max}",
  "code.too-few-words": "it has {count} words after the number; it needs at least {min}",
  "code.too-many-words": "it has {count} words after the number; it can have at most {max}",
  "code.unknown-word": "word {position} is not in the word list",
  "code.misspelled-word": "word {position} is not in the word list; did you mean {suggestions}?",
  // Trace and spy: what the bytes are
  "bytes.skipped": "… {count} B not shown …",
  "bytes.pieces": "a recv(1024) loop reads this as {count} pieces: {sizes}",
  "bytes.encode": "UTF-8 (what encode() made of the text): {chars}",
  "bytes.piece-cuts":
    "the recv(1024) boundary at {offset} cuts '{char}' in two: decode() fails there",
  "bytes.split-starts":
    "split character: {here} of its {width} bytes here; decode() of this alone fails",
  "bytes.split-completes":
    "the first {here} B complete '{char}', a {width}-byte character split in two",
  "note.preface": "preface: 'SKIT' and version {version}, a sockit sender's first bytes",
  "note.preface-part": "start of the sockit preface ({got} of 5 B)",
  "note.header": "header: type 0x{typeHex} '{letter}' ({name}), length {lengthHex} = {length} B",
  "note.header-part": "frame header, {got} of 5 B (the rest comes in the next chunk)",
  "note.payload": "JSON payload, {length} B: {json}",
  "note.payload-part": "JSON payload, {got} of {length} B so far",
  "note.data": "raw file bytes {from}–{to} of {total}",
  "note.classic-size": "size as {digits} ASCII digits (str(size).encode()): {size} B after 'ready'",
  "note.classic-ready": "'ready': the receiver has the size; {size} raw bytes follow",
  "note.classic-ready-part": "start of the lesson's 'ready' ({got} of 5 B)",
  "note.unexpected": "this breaks the protocol ({reason}); the rest is shown as plain bytes",
  "note.run":
    "… {chunks} more {chunks:chunk|chunks}, {bytes} ({pieces} recv(1024) {pieces:read|reads})",
  "note.run-data": "raw file bytes up to {to} of {total}",
  "note.run-edges": "first bytes {first} … last bytes {last}",
  "frame.H":
    "H hello: the receiver speaks version {version} ({auth}); largest file: {maxSize}; up to {window} offers ahead",
  "frame.auth-cpace": "a pairing code is needed",
  "frame.auth-none": "open, no code",
  "frame.P": "P pairing: nonce {nonce}",
  "frame.P-share": "P pairing: nonce {nonce}, key share {share}",
  "frame.C": "C confirmation {confirm}: records follow",
  "frame.C-share": "C key share {share}, confirmation {confirm}",
  "frame.F": 'F #{id} file "{path}" {size}',
  "frame.I": 'I identify: the sender is "{name}"',
  "frame.D": 'D #{id} folder "{path}"',
  "frame.S": "S #{id} start at {offset}: {count} raw bytes follow",
  "frame.E": "E #{id} end: SHA-256 of the whole file {sha256}",
  "frame.Q": "Q quit: no more files",
  "frame.Q-totals": "Q quit: every answer sent; {files} stored in this session",
  "frame.A": "A #{id} accept at {offset}",
  "frame.R": "R #{id} reject: {code} ({message})",
  "frame.V": 'V #{id} verdict: stored as "{stored}", SHA-256 {sha256}',
  "frame.V-failed": "V #{id} verdict: failed, {code} ({message})",
  "frame.X": "X error: {code} ({message})",
  "frame-name.H": "hello",
  "frame-name.F": "file",
  "frame-name.I": "identify",
  "frame-name.D": "folder",
  "frame-name.S": "start",
  "frame-name.E": "end",
  "frame-name.Q": "quit",
  "frame-name.A": "accept",
  "frame-name.R": "reject",
  "frame-name.V": "verdict",
  "frame-name.X": "error",
  "frame-name.P": "pairing",
  "frame-name.C": "confirmation",
  "frame.any-size": "any size",
  "spy.listening": "Spy listening on {address}, relaying to {target}.",
  "spy.hint": "Point the client at {address} instead of the server. Ctrl+C stops the spy.",
  "spy.client-to-server": "client → server",
  "spy.server-to-client": "client ← server",
  "spy.open": "{time} #{conn} open: client {client} → spy → server {server}",
  "spy.connect-failed":
    "{time} #{conn} client {client}: the server could not be reached, so the client gets a reset (RST): {reason}",
  "spy.client": "the client",
  "spy.server": "the server",
  "spy.end-fin": "{side} closed normally (FIN)",
  "spy.end-reset": "{side} reset the connection (RST)",
  "spy.end-error": "the connection with {side} failed ({reason})",
  "spy.passed-fin": "FIN to {other}",
  "spy.passed-reset": "RST to {other}",
  "spy.passed-none": "{other} already closed",
  "spy.closed": "{time} #{conn} closed: the client sent {client}, the server sent {server}",
  "spy.summary":
    "Spy stopped: {connections} {connections:connection|connections}, {bytes} relayed.",
  // File names refused or not storable (`problem` of bad-name and name-conflict errors)
  "name.empty": "it is empty",
  "name.encoding": "it is not valid Unicode text",
  "name.control": "it contains a control character",
  "name.bidi": "it contains an invisible text-direction character",
  "name.absolute": "it is an absolute path",
  "name.unc": "it is a network or device path",
  "name.drive": "it starts with a drive letter",
  "name.empty-segment": "it contains an empty folder name",
  "name.dot-segment": "it contains '.' or '..'",
  "name.invalid-char": 'it contains one of : * ? " < > |',
  "name.reserved": "it uses a name Windows reserves for devices (CON, NUL, COM1, …)",
  "name.trailing": "a name in it ends with a dot or a space",
  "name.too-long": "it is too long (255 bytes per name, 4096 in all)",
  "name.too-deep": "it has more than 64 folder levels",
  "name.internal": "it points into sockit's working folder .sockit",
  "name.symlink": "a folder on its way is a symbolic link",
  "name.not-a-folder": "a file is in the way of one of its folders",
  "name.is-a-folder": "a folder with that name already exists",
  "name.outside": "it would end up outside the receiving folder",
  "name.exhausted": "too many files with that name already exist",
  // Sender names and class lists (issue 14)
  "name.separator": "it contains / or \\",
  "name.long-name": "it is longer than 50 characters",
  "name.sockit-name": "sockit uses that name itself (sockit-log.csv, unnamed-…)",
  "opt.name":
    "your name; the receiver files your work under it (default: SOCKIT_NAME, the name you gave before, else your login name)",
  "opt.flat": "store every sender's files straight in the folder instead of a folder per sender",
  "opt.roster": "class list: one name a line, or a CSV file with a name (and id) column",
  "opt.roster-only": "refuse senders whose name is not on the class list",
  "opt.summary": "print who sent how many files (from the folder's sockit-log.csv) and exit",
  "usage.roster-only": "--roster-only needs a class list: add --roster FILE.",
  "send.ask-name": "Your name, as your teacher should see it",
  "send.name-saved": "Your name is saved in {path}. Use --name to send under another one.",
  "send.name-retry": "That cannot be a name: {problem}. Try again.",
  "send.bad-name": "'{name}' cannot be your name: {problem}. Choose another with --name.",
  "send.connected-as": "Connected to {peer} as {name}",
  "send.receipt":
    "Receipt: {path} stored as {stored}, {size}, SHA-256 {sha256}, at {time} (receiver's clock)",
  "reject.not-on-roster": "the name is not on the receiver's class list",
  "error.not-on-roster":
    "The receiver's class list has no '{name}'. Closest names on it: {closest}. Send again with --name and your name as the list has it.",
  "error.not-on-roster-none":
    "The receiver's class list has no '{name}'. Send again with --name and your name as your teacher listed it.",
  "error.bad-roster": "The class list {path} cannot be used: {problem}.",
  "roster.empty": "it has no names",
  "roster.too-many": "it has more than 2,000 names (or more than 4 MiB)",
  "roster.encoding": "it is not UTF-8 text (save it from the spreadsheet as CSV UTF-8)",
  "roster.duplicate": "line {line} repeats '{name}' from line {other}; make the names different",
  "roster.bad-name": "line {line}: '{name}' cannot be a name: {reason}",
  "recv.roster": "Class list: {count} names from {path}.",
  "recv.log": "Every file, refusal and failure is logged in {path}",
  "recv.sender": "{name} connected from {peer}",
  "recv.sender-unnamed":
    "{peer} sent no name (an older sockit or the lesson's program): files go to {name}",
  "recv.sender-off-roster": "{name} ({peer}) is not on the class list",
  "recv.sender-refused": "Refused {name} from {peer}: {reason}",
  "recv.sender-closest": "not on the class list; closest: {closest}",
  "recv.no-name": "(no name)",
  "recv.live-roster":
    "Class list: {sent} of {total} sent, {missing} missing · {active} sending now",
  "recv.live": "{senders} senders so far · {active} sending now",
  "summary.title": "Who sent what ({dir}):",
  "summary.name": "Name",
  "summary.files": "Files",
  "summary.bytes": "Bytes",
  "summary.last": "Last file",
  "summary.missing": "Not sent yet ({count}): {names}",
  "summary.all-sent": "Everyone on the class list has sent something.",
  "summary.empty": "Nothing has been received in {dir} yet.",
  // Transfer options
  "opt.dir": "folder to store received files in (default: ./received)",
  "opt.overwrite": "replace existing files instead of adding (1), (2), …",
  "opt.max-size": "largest file to accept, e.g. 100m (default: no limit)",
  "opt.max-connections": "most senders served at once (default: 64)",
  "opt.max-per-address":
    "most senders served at once from one address, for a class behind one router (default: 8)",
  "opt.idle-timeout": "seconds of silence after which a sender is dropped (default: 30)",
  "opt.classic-name": "base name for files from classic (lesson) senders",
  "opt.chunk-size": "bytes moved per read and write, e.g. 1k or 4m (default: 1m)",
  "opt.retries": "reconnect and resume this many times after a dropped connection (default: 3)",
  "opt.classic": "speak the lesson's protocol (size, ready, bytes): no names, no verification",
  // Discovery
  "cmd.receivers": "List the receivers announcing themselves on this network.",
  "opt.no-announce": "do not announce this receiver on the network (senders then need --to)",
  "opt.no-qr": "do not show the QR code of the address at start",
  "opt.code":
    "not accepted: a code on the command line is visible to every user (ps); use SOCKIT_CODE or --code-file",
  "opt.code-file": "read the pairing code from FILE (instead of SOCKIT_CODE)",
  "opt.open": "take files from anyone on the network, without a code and without encryption",
  "opt.classic-receive": "also take classic (lesson) senders, which cannot use a code",
  "opt.no-web": "do not serve the upload page for phones and browsers on the same port",
  "opt.to-found": "default: the receiver found on this network",
  "opt.wait": "seconds to listen for receivers (default: 3)",
  "disc.announcing":
    "Announcing this receiver on the network every 2 s (UDP port {port}): classmates can simply run '{command} send FILE'.",
  "disc.no-targets":
    "Not announcing: there is no network interface to announce on for {address}; senders need --to.",
  "disc.announce-failed": "Could not announce by {via} on {address}: {reason}",
  "disc.qr": "Scan for the address {text}:",
  "disc.looking": "Looking for receivers on this network ({seconds} s)…",
  "disc.join-failed":
    "Cannot hear multicast beacons on {address} ({reason}); broadcast ones still count.",
  "disc.ignored": "Ignored a datagram from {from} that is not a valid beacon ({problem})",
  "disc.receiver": "{name} at {address}",
  "disc.receiver-nameplate": "{name} at {address}, code number {nameplate}",
  "disc.using-only": "Sending to {receiver}, the only receiver found on this network.",
  "disc.using-nameplate": "Sending to {receiver}, the receiver with the code's number.",
  "disc.using-chosen": "Sending to {receiver}.",
  "disc.several": "Several receivers are announcing on this network:",
  "disc.ask": "Which one? Type its number (1-{count}):",
  "disc.ask-again": "Type a number from 1 to {count}, or press Ctrl+C to stop.",
  // Receiver
  "recv.listening": "Receiving files into {dir} on {address}. Press Ctrl+C to stop.",
  "recv.hint": "Classmates send with: {command}",
  "recv.file-start": "Receiving {path} ({size}) from {peer}",
  "recv.file-resume": "Resuming {path} ({size}) from {peer} after {offset} already received",
  "recv.file-done": "Stored {stored} from {peer}: {amount}, SHA-256 {sha256}",
  "recv.file-done-classic":
    "Stored {stored} from {peer} (classic sender, unverified): {amount}, SHA-256 {sha256}",
  "recv.file-rejected": "Refused {path} from {peer}: {reason}",
  "recv.file-failed": "Transfer of {path} from {peer} failed, nothing stored: {reason}",
  "recv.folder": "Created folder {stored} for {peer}",
  "recv.suppressed": "… and {count} more lines like these from {from} (held back)",
  "recv.partial-dropped":
    "Dropped the unfinished {path} ({bytes}) from {from}: too many unfinished transfers kept",
  "recv.session-error": "Connection from {peer} ended: {reason}",
  "recv.code": "Code: {code}",
  "recv.hint-code": "Classmates send with: {command} — and type the code when asked.",
  "recv.open":
    "Open: anyone on this network can send files here, and nothing is encrypted (no code).",
  "recv.pairing-delayed":
    "A pairing from {peer} waits {seconds} s before it is answered: wrong codes came from there.",
  "recv.guessing":
    "Someone keeps guessing the code (last from {peer}; {failures} wrong codes in 10 minutes): every pairing is slowed down. Consider restarting with a new code.",
  "recv.classic-refused":
    "Refused a classic (lesson) sender from {peer}: it cannot carry the code. To take classic senders, start with --classic.",
  "send.code-prompt": "Pairing code (shown by the receiver):",
  "recv.summary":
    "Receiver stopped: {files} {files:file|files} ({bytes}) received over {sessions} {sessions:connection|connections}.",
  "recv.web": "Phones and browsers: open {url}",
  "recv.web-plain": "The page is plain HTTP: others on the network can see its uploads.",
  // The upload page
  "web.title": "Send files to {host}",
  "web.plain-http":
    "This page uses plain HTTP, which is not encrypted: anyone on this network can see the files you upload here and the code. Do not upload anything secret from this page.",
  "web.send": "Send files",
  "web.name": "Your name",
  "web.name-hint": "The receiver files your work under this name.",
  "web.code": "Code",
  "web.code-hint": "The code the receiver shows, e.g. 7-guitar-ocean-lamp.",
  "web.open": "This receiver accepts files from anyone on the network.",
  "web.files": "Choose files",
  "web.folder": "Choose a folder",
  "web.drop": "Or drag files and folders here.",
  "web.submit": "Send",
  "web.max-size": "Largest file accepted: {size}.",
  "web.nojs": "Without JavaScript the files are sent in one go, without progress bars.",
  "web.overall": "All files",
  "web.sending": "Sending…",
  "web.waiting": "Waiting",
  "web.receipt": "Stored as {stored}: {size}, SHA-256 {sha256}",
  "web.refused": "Refused: {reason}",
  "web.failed": "Failed: {reason}",
  "web.network": "the connection to the receiver was lost",
  "web.wrong-code": "The code does not match. Check it with the person receiving.",
  "web.need-files": "Choose at least one file or folder first.",
  "web.need-name": "Type your name first.",
  "web.done": "{count} {count:file|files} sent, {size} in all.",
  "web.results": "Results",
  "web.get": "Get sockit",
  "web.get-intro":
    "sockit also runs on a computer, where it sends whole folders quickly and can receive. Get it from here:",
  "web.get-script": "The program as one file (needs Deno):",
  "web.get-run": "Run it with:",
  "web.get-binaries": "Ready-made programs (no Deno needed):",
  "web.get-none": "This receiver has no ready-made programs to hand out.",
  "web.get-verify": "Check a download against its SHA-256 with: sha256sum FILE",
  // Sender
  "send.plan": "Sending {files} {files:file|files} ({bytes})",
  "send.connected": "Connected to {peer}",
  "send.file-done": "Sent {path}: stored as {stored} ({amount}, SHA-256 verified)",
  "send.file-done-classic": "Sent {path} ({amount})",
  "send.classic-unverified":
    "Classic mode cannot verify the content: the lesson's receiver reports no hash, so check the file by hand.",
  "send.file-rejected": "The receiver refused {path}: {reason}",
  "send.folder": "Created folder {path}",
  "send.resume": "Resuming {path} after the {offset} the receiver already has",
  "send.retry":
    "Connection lost ({reason}); reconnecting in {seconds} s (attempt {attempt} of {retries})…",
  "send.busy": "The receiver is busy with other senders; waiting {seconds} s for a turn…",
  "send.summary": "Done: {files} {files:file|files}, {amount}.",
  "send.summary-rejected": "{rejected} {rejected:item was|items were} refused by the receiver.",
  "send.summary-failed":
    "{failed} {failed:file was|files were} not sent: {failed:it|they} changed while being sent.",
  // Why a receiver refuses (reject codes on the wire)
  "reject.bad-header": "the request was malformed",
  "reject.bad-name": "the name is not safe",
  "reject.name-conflict": "the name clashes with something already there",
  "reject.too-large": "the file is larger than the receiver accepts",
  "reject.unsupported-version":
    "the receiver speaks another protocol version; update sockit so both sides run the same version",
  "reject.busy": "the receiver is busy with too many senders; try again shortly",
  "reject.disk-full": "the receiver's disk is full",
  "reject.write-failed": "the receiver could not write the file",
  "reject.hash-mismatch": "the content arrived damaged (SHA-256 mismatch); send it again",
  "reject.timeout": "the transfer was too slow and timed out",
  "reject.internal": "the receiver hit an internal error",
  "reject.wrong-code": "the code does not match (a wrong code; repeated ones are slowed down)",
  // Why a connection or transfer ended (receiver log)
  "why.closed-early": "the sender disconnected before the end (partial data kept for a resume)",
  "why.connection-reset": "the connection was reset (partial data kept for a resume)",
  "why.timeout": "the sender was silent for too long",
  "why.protocol": "the sender broke the protocol: {reason}",
  // Errors (exit code 1)
  "error.connection-refused":
    "Nothing is listening at {host}:{port}. Start the server (or receiver) first, then check the IP address and port, that both machines are on the same network, and that its firewall allows sockit.",
  "error.address-in-use":
    "Port {port} is already in use on {host}. Stop the other program or choose another port with --port.",
  "error.address-unavailable":
    "Address {host} does not belong to this machine. Use one of its own addresses, or leave --host out.",
  "error.bad-address":
    "'{value}' is not a valid address. Use HOST or HOST:PORT, e.g. 192.168.0.12:6000.",
  "error.bad-port": "'{value}' is not a valid port. Use a number from 1 to 65535.",
  "error.bind-permission":
    "No permission to listen on port {port}. Ports below 1024 need administrator rights; use a port of 1024 or more.",
  "error.connection-reset":
    "The connection to {host}:{port} was reset by the other side. Try again.",
  "error.closed-early":
    "The connection to {host}:{port} closed before the exchange finished. Check that the other side is still running.",
  "error.unreachable":
    "Cannot reach {host}. Check that both machines are on the same network, the address is right, and the other machine's firewall allows sockit.",
  "error.host-not-found":
    "Cannot find a host named '{host}'. Check the spelling or use an IP address.",
  "error.timeout":
    "{host}:{port} did not answer within {seconds} s. Check that it is running, that you are on the same network, and that its firewall allows sockit.",
  "error.echo-mismatch":
    "{host}:{port} does not answer like an echo server: {intact} of {replies} {replies:reply|replies} came back unchanged ({sent} B sent, {received} B back). Check the address and port (echo servers use 9999).",
  "error.protocol": "The other side broke the protocol: {reason}",
  "error.rejected": "The receiver ended the transfer: {reason}",
  "error.not-found": "{path} does not exist. Check the path.",
  "error.not-a-file": "{path} is neither a file nor a folder.",
  "error.read-failed": "Could not read {path}: {reason}",
  "error.file-changed":
    "{path} changed while it was being sent, so it was not stored. Send it again once it is saved and closed.",
  "error.permission-denied":
    "Permission denied: this user may not read {path}. Allow reading it (or copy it into a folder of your own) and send again.",
  "error.write-failed": "Could not write {path}: {reason}",
  "error.dir-not-folder":
    "{path} is not a folder (a file is in the way). Choose a folder with --dir; it is created if missing.",
  "error.dir-not-writable":
    "Cannot store files in {path}: this user may not write there. Choose a folder of your own with --dir; it is created if missing.",
  "error.disk-full": "The disk is full while writing {path}. Free some space and send again.",
  "error.bad-size":
    "'{value}' is not a valid size. Use a number with an optional k, m or g (e.g. 1k, 4m).",
  "error.bad-option": "{reason}",
  "error.unverified": "{path} arrived, but its content could not be verified: {reason}",
  "error.bad-name": "'{name}' is not a safe file name: {problem}.",
  "error.not-sockit":
    "The program at {host}:{port} is not a sockit receiver. Check the port; for the lesson's Python receiver add --classic.",
  "error.name-conflict": "'{name}' cannot be stored: {problem}.",
  "error.unsafe-folder":
    "{path} is not safe to use: {reason}. Other users could make sockit write elsewhere. Remove it, or fix it with: chmod 700 {path}",
  "error.bad-code":
    "That pairing code is not right: {problem}. Check it with the person receiving.",
  "error.wrong-code": "The code does not match — check it with the person receiving.",
  "error.open-receiver":
    "The receiver at {host}:{port} takes files without a code (anyone may send to it, unencrypted), so your code would protect nothing: ask the person receiving, or send without SOCKIT_CODE and --code-file.",
  "error.unpaired-receiver":
    "The receiver found on the network at {host}:{port} asks for no code, so nothing proves it is the one you mean (anyone can announce a receiver). If the person receiving runs it without a code on purpose, send with --to {host}:{port}.",
  "error.code-needed":
    "The receiver at {host}:{port} asks for a pairing code: type it when asked, or set SOCKIT_CODE or use --code-file FILE.",
  "error.code-on-argv":
    "sockit does not take the pairing code on the command line (every user of this computer can read it with ps): set SOCKIT_CODE or use --code-file FILE.",
  "error.record-tampered":
    "Encrypted data from the other side failed its integrity check: it was changed or damaged on the way. The connection was closed.",
  "error.record-replayed":
    "The other side sent encrypted record {record} again (record {expected} was due): a replay. The connection was closed.",
  "error.record-reordered":
    "Encrypted record {record} arrived when record {expected} was due: records were lost or reordered. The connection was closed.",
  "error.record-truncated":
    "The encrypted data ended before its final record: it is incomplete. The connection was closed.",
  "error.no-receivers":
    "Discovery found no sockit receiver on this network within {seconds} s. Give the receiver's address with --to HOST (the receiver prints it when it starts), or check that the receiver is running without --no-announce, that this computer's firewall lets sockit receive on UDP port {port}, and that the network does not keep devices apart (school and guest Wi-Fi often isolate clients or drop multicast).",
  "error.several-receivers":
    "Several receivers are announcing on this network: {list}. Choose one with --to HOST:PORT.",
  "error.no-matching-receiver":
    "No receiver on this network announces the code's number {nameplate} (found: {list}). Check the code with the person receiving, or give the address with --to HOST:PORT.",
  "error.internal": "Unexpected error: {reason}",
} as const;

/** A key of the message catalog. */
export type MessageKey = keyof typeof en;

const ko: Record<MessageKey, string> = {
  "cli.description": "교실을 위한 TCP 도구: 받는 사람에게 파일을 보내고, 메시지를 에코합니다.",
  "cli.usage": "사용법:",
  "cli.arguments": "인자:",
  "cli.options": "옵션:",
  "cli.commands": "명령:",
  "cli.help-hint": "사용법 보기: {command} --help",
  "cmd.echo-server": "클라이언트가 보낸 것을 그대로 돌려주는 TCP 에코 서버를 실행합니다.",
  "cmd.echo": "에코 서버에 메시지를 보내고 그대로 돌아오는지 확인합니다.",
  "cmd.receive": "친구들이 보낸 파일을 폴더에 받습니다.",
  "cmd.send": "파일이나 폴더를 받는 사람에게 보냅니다.",
  "cmd.spy":
    "TCP 클라이언트를 서버로 중계하면서 오가는 모든 바이트를 설명과 함께 보여 줍니다 (학습용).",
  "opt.listen": "클라이언트가 접속할 곳: 포트 또는 호스트:포트 (호스트 기본값 127.0.0.1)",
  "opt.spy-to": "실제 서버: 호스트:포트",
  "usage.spy-needs":
    "spy 에는 --listen 포트, --to 호스트:포트 둘 다 필요합니다. 예: {command} spy --listen 9000 --to 127.0.0.1:9999",
  "cmd.help": "명령의 도움말을 보여 줍니다.",
  "arg.message": "보낼 메시지 (생략하면 표준 입력에서 줄 단위로 읽음)",
  "arg.paths": "보낼 파일이나 폴더",
  "opt.help": "이 도움말을 보여 줍니다",
  "opt.version": "sockit 버전을 출력합니다",
  "opt.host": "접속을 기다릴 주소 (기본값: 모든 인터페이스)",
  "opt.port": "접속을 기다릴 TCP 포트",
  "opt.to": "접속할 곳: 호스트 또는 호스트:포트",
  "opt.lang": "메시지 언어: en 또는 ko (기본값: 시스템 언어)",
  "opt.json": "이벤트마다 JSON 객체 하나를 표준 출력에 씁니다",
  "opt.quiet": "오류와 최종 결과만 출력합니다",
  "opt.trace": "네트워크로 오가는 모든 바이트를 보여 줍니다",
  "opt.count": "메시지를 N번 보내고 왕복 시간을 보고합니다",
  "opt.interval": "--count 사용 시 메시지 사이에 기다릴 초",
  "opt.timeout": "서버의 응답을 기다릴 최대 초",
  "cli.usage-options": "[옵션]",
  "cli.usage-command": "[명령]",
  "val.command": "명령",
  "val.lang": "언어",
  "val.host": "호스트",
  "val.port": "포트",
  "val.to": "호스트[:포트]",
  "val.n": "수",
  "val.seconds": "초",
  "val.message": "메시지",
  "val.paths": "경로",
  "val.dir": "폴더",
  "val.size": "크기",
  "val.code": "코드",
  "val.name": "이름",
  "val.file": "파일",
  "usage.unknown-option-suggest": "알 수 없는 옵션 '{value}' 입니다. 혹시 {suggestion} 인가요?",
  "usage.one-of": "{names} 중 하나",
  "usage.missing-paths": "보낼 파일이나 폴더를 적어 주세요. 예: {example}",
  "usage.single-dash":
    "'{value}' 에는 대시가 하나뿐입니다. 긴 옵션은 대시 두 개로 씁니다: {option}",
  "usage.chunk-size-limit":
    "--chunk-size {value}: 너무 큽니다. 전송마다 이 크기의 버퍼를 메모리에 두므로 최대 {max} 까지 쓸 수 있습니다 (더 크게 해도 빨라지지 않습니다).",
  "send.plan-folders": "파일 {files}개와 빈 폴더 {folders}개를 보냅니다 ({bytes})",
  "progress.total": "전체",
  "progress.left": "{time} 남음",
  "progress.amount": "{duration} 동안 {size}, {rate}",
  "progress.more": "외 {count}개 전송 중",
  "recv.hint-file": "파일",
  "recv.hint-ip": "이_컴퓨터_IP",
  "send.retry-timeout":
    "받는 쪽이 응답하지 않습니다. {seconds}초 뒤에 다시 연결합니다 ({retries}번 중 {attempt}번째)…",
  "send.interrupted":
    "{path}{path:을/를} 보내다가 중단했습니다: {size} 중 최대 {sent}까지 받는 쪽에 도착했고, 받는 쪽은 도착한 만큼 보관합니다. 같은 명령을 다시 실행하면 이어서 보냅니다.",
  "send.interrupted-classic":
    "{path}{path:을/를} 보내다가 중단했습니다 ({size} 중 {sent} 보냄). classic 방식은 이어 보낼 수 없으니 파일을 다시 보내세요.",
  "send.interrupted-between":
    "파일 사이에서 중단했습니다. 위에 보냄으로 나온 파일은 저장되었으니 나머지만 다시 보내세요.",
  "send.summary-interrupted": "중단됨: 파일 {total}개 중 {files}개 보냄, {amount}.",
  "echo.type-lines":
    "보낼 줄을 입력하세요. 서버가 줄마다 그대로 돌려줍니다. 끝내려면 Ctrl+D 를 누르세요 (Windows 는 Ctrl+Z 뒤 Enter).",
  "send.classic-several":
    "주의: --classic 은 파일 {files}개를 차례로 보내는데, 수업 예제의 받는 프로그램(file_receiver.py)은 모두 같은 이름으로 저장하므로 마지막 파일만 남습니다. 한 번에 파일 하나씩 보내거나, 받는 쪽에서 sockit receive 를 쓰세요 (모두 보관합니다).",
  "send.classic-kept":
    "받는 쪽에 남는 것: 수업 예제의 받는 프로그램이면 마지막 파일({path})만, sockit receive 이면 모든 파일.",
  "send.skipped": "보내지 않음: {paths} (Git 기록 폴더 .git 은 보내지 않습니다).",
  "send.hidden": "숨김 파일도 보냅니다: {paths}",
  "send.and-more": "외 {count}개",
  "usage.unknown-command-suggest": "알 수 없는 명령 '{value}' 입니다. 혹시 {suggestion} 인가요?",
  "usage.unknown-option": "알 수 없는 옵션 '{value}' 입니다.",
  "usage.unknown-command":
    "알 수 없는 명령 '{value}' 입니다. 명령: echo-server, echo, receive, send, receivers, spy.",
  "usage.missing-option-value": "옵션 {option} 뒤에 값이 필요합니다. 예: {example}",
  "usage.excess-arguments": "{command} 명령은 '{value}' 같은 인자를 받지 않습니다. 예: {example}",
  "usage.bad-lang": "알 수 없는 언어 '{value}' 입니다. en 또는 ko 를 쓰세요.",
  "usage.bad-number": "{option} 에는 초 단위 숫자가 필요합니다 (받은 값: '{value}').",
  "usage.bad-whole-number": "{option} 에는 {min} 이상의 정수가 필요합니다 (받은 값: '{value}').",
  "net.reach": "친구들은 이 주소로 접속할 수 있습니다: {addresses}",
  "net.reach-none": "루프백 외의 네트워크 주소가 없습니다. 이 컴퓨터에서만 접속할 수 있습니다.",
  "net.stopping": "종료하는 중… (바로 끝내려면 Ctrl+C 를 한 번 더 누르세요)",
  "echo.listening": "에코 서버가 {address} 에서 기다리는 중입니다. 끝내려면 Ctrl+C 를 누르세요.",
  "echo.connected": "{peer}{peer:이/가} 접속했습니다",
  "echo.received": "{peer} 에게서 받음: {text}",
  "echo.closed": "{peer} 의 접속이 끝났습니다 (정상 종료, {bytes} 에코)",
  "echo.reset": "{peer} 의 접속이 끊어졌습니다 (연결 리셋, {bytes} 에코)",
  "echo.client-error": "{peer} 와의 연결에 실패했습니다: {reason}",
  "echo.summary": "에코 서버 종료: 접속 {connections}개 처리, {bytes} 에코.",
  "echo.reply": "받음: {text}",
  "echo.ping": "{peer} 에게서 {bytes} 바이트: seq={seq} 시간={ms} ms",
  "echo.stats":
    "{sent}번 보냄, {matched}번 그대로 돌아옴, 왕복 최소/평균/최대 = {min}/{avg}/{max} ms",
  "trace.sent": "→ 보냄 {bytes} B",
  "trace.received": "← 받음 {bytes} B",
  "trace.handshake": "[핸드셰이크]",
  "trace.record": "[암호화된 레코드]",
  "trace.plaintext": "[레코드 안의 내용]",
  "code.empty": "코드가 비어 있습니다",
  "code.missing-nameplate": "코드는 7-guitar-ocean-lamp 처럼 숫자로 시작해야 합니다",
  "code.bad-nameplate": "앞의 숫자는 1부터 {max} 사이여야 합니다",
  "code.too-few-words": "숫자 뒤에 단어가 적어도 {min}개 있어야 합니다 (지금 {count}개)",
  "code.too-many-words": "숫자 뒤의 단어는 {max}개까지입니다 (지금 {count}개)",
  "code.unknown-word": "{position}번째 단어가 단어 목록에 없습니다",
  "code.misspelled-word": "{position}번째 단어가 단어 목록에 없습니다. 혹시 {suggestions} 인가요?",
  "bytes.skipped": "… {count} B 생략 …",
  "bytes.pieces": "recv(1024) 반복문은 이것을 {count}조각으로 읽습니다: {sizes}",
  "bytes.encode": "UTF-8 (encode() 가 글자를 바꾼 바이트): {chars}",
  "bytes.piece-cuts": "recv(1024) 경계 위치({offset})에서 '{char}' 글자가 잘림: decode() 실패",
  "bytes.split-starts":
    "나뉜 글자: {width}바이트 중 {here}바이트만 여기 있음. 이것만 decode() 하면 실패",
  "bytes.split-completes":
    "처음 {here} B 가 둘로 나뉘었던 {width}바이트 글자를 완성합니다: '{char}'",
  "note.preface": "프리앰블: 'SKIT' 와 버전 {version}, sockit 보내는 쪽의 첫 바이트",
  "note.preface-part": "sockit 프리앰블의 앞부분 (5 B 중 {got} B)",
  "note.header": "헤더: 종류 0x{typeHex} '{letter}' ({name}), 길이 {lengthHex} = {length} B",
  "note.header-part": "프레임 헤더 5 B 중 {got} B (나머지는 다음 조각에 옵니다)",
  "note.payload": "JSON 본문 {length} B: {json}",
  "note.payload-part": "JSON 본문, 지금까지 {length} B 중 {got} B",
  "note.data": "파일 원본 바이트 {from}–{to} (전체 {total})",
  "note.classic-size": "크기를 ASCII 숫자 {digits}개로 (str(size).encode()): 'ready' 뒤에 {size} B",
  "note.classic-ready": "'ready': 받는 쪽이 크기를 받음. 원본 바이트 {size}개가 뒤따름",
  "note.classic-ready-part": "수업 예제의 'ready' 앞부분 (5 B 중 {got} B)",
  "note.unexpected": "프로토콜에 맞지 않습니다 ({reason}). 나머지는 일반 바이트로 보여 줍니다",
  "note.run": "… 조각 {chunks}개 더, {bytes} (recv(1024) {pieces}번)",
  "note.run-data": "파일 원본 바이트 {to} 까지 (전체 {total})",
  "note.run-edges": "처음 {first} … 끝 {last}",
  "frame.H":
    "H hello: 받는 쪽은 버전 {version} 사용 ({auth}), 최대 파일 크기: {maxSize}, 미리 보낼 수 있는 제안 {window}개",
  "frame.auth-cpace": "페어링 코드 필요",
  "frame.auth-none": "열림, 코드 없음",
  "frame.P": "P 페어링: 논스 {nonce}",
  "frame.P-share": "P 페어링: 논스 {nonce}, 키 공유값 {share}",
  "frame.C": "C 확인값 {confirm}: 이제부터 레코드",
  "frame.C-share": "C 키 공유값 {share}, 확인값 {confirm}",
  "frame.F": 'F #{id} 파일 "{path}" {size}',
  "frame.I": 'I 보내는 사람: "{name}"',
  "frame.D": 'D #{id} 폴더 "{path}"',
  "frame.S": "S #{id} 시작 위치 {offset}: 원본 바이트 {count}개가 뒤따름",
  "frame.E": "E #{id} 끝: 파일 전체의 SHA-256 {sha256}",
  "frame.Q": "Q 종료: 더 보낼 파일 없음",
  "frame.Q-totals": "Q 종료: 모든 응답을 보냄, 이번 연결에서 {files}개 저장",
  "frame.A": "A #{id} 수락, 시작 위치 {offset}",
  "frame.R": "R #{id} 거절: {code} ({message})",
  "frame.V": 'V #{id} 결과: "{stored}"{stored:으로/로} 저장, SHA-256 {sha256}',
  "frame.V-failed": "V #{id} 결과: 실패, {code} ({message})",
  "frame.X": "X 오류: {code} ({message})",
  "frame-name.H": "hello, 인사",
  "frame-name.F": "file, 파일",
  "frame-name.I": "identify, 보내는 사람",
  "frame-name.D": "folder, 폴더",
  "frame-name.S": "start, 시작",
  "frame-name.E": "end, 끝",
  "frame-name.Q": "quit, 종료",
  "frame-name.A": "accept, 수락",
  "frame-name.R": "reject, 거절",
  "frame-name.V": "verdict, 결과",
  "frame-name.X": "error, 오류",
  "frame-name.P": "pairing, 페어링",
  "frame-name.C": "confirmation, 확인",
  "frame.any-size": "제한 없음",
  "spy.listening": "스파이가 {address} 에서 기다리며 {target}{target:으로/로} 중계합니다.",
  "spy.hint": "클라이언트를 서버 대신 {address} 에 접속시키세요. Ctrl+C 로 끝냅니다.",
  "spy.client-to-server": "클라이언트 → 서버",
  "spy.server-to-client": "클라이언트 ← 서버",
  "spy.open": "{time} #{conn} 연결: 클라이언트 {client} → 스파이 → 서버 {server}",
  "spy.connect-failed":
    "{time} #{conn} 클라이언트 {client}: 서버에 닿지 않아 클라이언트에 리셋(RST)을 보냄: {reason}",
  "spy.client": "클라이언트",
  "spy.server": "서버",
  "spy.end-fin": "{side} 쪽이 정상적으로 닫음 (FIN)",
  "spy.end-reset": "{side} 쪽이 연결을 리셋함 (RST)",
  "spy.end-error": "{side} 쪽 연결에 오류 ({reason})",
  "spy.passed-fin": "{other} 쪽에 FIN 전달",
  "spy.passed-reset": "{other} 쪽에 RST 전달",
  "spy.passed-none": "{other} 쪽은 이미 닫혀 있음",
  "spy.closed": "{time} #{conn} 닫힘: 클라이언트가 {client}, 서버가 {server} 보냄",
  "spy.summary": "스파이 종료: 연결 {connections}개, {bytes} 중계.",
  "name.empty": "이름이 비어 있습니다",
  "name.encoding": "올바른 유니코드 문자열이 아닙니다",
  "name.control": "제어 문자가 들어 있습니다",
  "name.bidi": "글자 방향을 바꾸는 보이지 않는 문자가 들어 있습니다",
  "name.absolute": "절대 경로입니다",
  "name.unc": "네트워크 또는 장치 경로입니다",
  "name.drive": "드라이브 문자로 시작합니다",
  "name.empty-segment": "빈 폴더 이름이 들어 있습니다",
  "name.dot-segment": "'.' 또는 '..' 이 들어 있습니다",
  "name.invalid-char": '다음 문자 중 하나가 들어 있습니다: : * ? " < > |',
  "name.reserved": "Windows 가 장치용으로 예약한 이름입니다 (CON, NUL, COM1 등)",
  "name.trailing": "점이나 공백으로 끝나는 이름이 들어 있습니다",
  "name.too-long": "너무 깁니다 (이름 하나에 255바이트, 전체 4096바이트까지)",
  "name.too-deep": "폴더가 64단계보다 깊습니다",
  "name.internal": "sockit 의 작업 폴더 .sockit 을 가리킵니다",
  "name.symlink": "경로에 있는 폴더가 심볼릭 링크입니다",
  "name.not-a-folder": "폴더가 있어야 할 자리에 파일이 있습니다",
  "name.is-a-folder": "같은 이름의 폴더가 이미 있습니다",
  "name.outside": "받는 폴더 밖으로 나가게 됩니다",
  "name.exhausted": "같은 이름의 파일이 너무 많습니다",
  // Sender names and class lists (issue 14)
  "name.separator": "/ 나 \\ 가 들어 있습니다",
  "name.long-name": "50자보다 깁니다",
  "name.sockit-name": "sockit 이 직접 쓰는 이름입니다 (sockit-log.csv, unnamed-…)",
  "opt.name":
    "내 이름. 받는 쪽은 이 이름의 폴더에 파일을 모읍니다 (기본값: SOCKIT_NAME, 전에 입력한 이름, 없으면 로그인 이름)",
  "opt.flat": "보낸 사람별 폴더를 만들지 않고 모든 파일을 받는 폴더에 바로 저장합니다",
  "opt.roster": "명단 파일: 한 줄에 이름 하나, 또는 첫 줄에 이름 열(과 번호 열)이 있는 CSV 파일",
  "opt.roster-only": "명단에 없는 이름으로 보내면 거절합니다",
  "opt.summary": "받는 폴더의 기록 파일을 읽어 누가 파일을 몇 개 보냈는지 보여 주고 끝냅니다",
  "usage.roster-only": "--roster-only 는 명단이 있어야 합니다. --roster 파일 을 함께 주세요.",
  "send.ask-name": "선생님께 보일 내 이름",
  "send.name-saved":
    "이름을 다음 파일에 저장했습니다: {path}. 다른 이름으로 보내려면 --name 을 쓰세요.",
  "send.name-retry": "이름으로 쓸 수 없습니다: {problem}. 다시 입력하세요.",
  "send.bad-name":
    "이름으로 쓸 수 없습니다: '{name}' ({problem}). --name 으로 다른 이름을 정하세요.",
  "send.connected-as": "연결했습니다: {peer}, 보내는 사람: {name}",
  "send.receipt":
    "영수증: {path} → 저장 위치 {stored}, 크기 {size}, SHA-256 {sha256}, 받은 시각 {time} (받는 쪽 시계)",
  "reject.not-on-roster": "받는 쪽 명단에 없는 이름입니다",
  "error.not-on-roster":
    "받는 쪽 명단에 없는 이름입니다: '{name}'. 명단에서 가장 비슷한 이름: {closest}. 명단에 적힌 대로 --name 을 붙여 다시 보내세요.",
  "error.not-on-roster-none":
    "받는 쪽 명단에 없는 이름입니다: '{name}'. 선생님 명단에 적힌 대로 --name 을 붙여 다시 보내세요.",
  "error.bad-roster": "명단 파일을 쓸 수 없습니다 ({path}): {problem}.",
  "roster.empty": "이름이 하나도 없습니다",
  "roster.too-many": "이름이 2,000개보다 많습니다 (또는 4 MiB 보다 큽니다)",
  "roster.encoding": "UTF-8 텍스트가 아닙니다 (스프레드시트에서 'CSV UTF-8' 형식으로 저장하세요)",
  "roster.duplicate":
    "{line}번째 줄 '{name}': {other}번째 줄과 같은 이름입니다. 이름을 서로 다르게 적으세요",
  "roster.bad-name": "{line}번째 줄 '{name}': 이름으로 쓸 수 없습니다 ({reason})",
  "recv.roster": "명단 {path}: 이름 {count}개",
  "recv.log": "파일·거절·실패 기록: {path}",
  "recv.sender": "{name} 연결됨 ({peer})",
  "recv.sender-unnamed":
    "이름을 보내지 않은 연결: {peer} (이전 sockit 또는 수업 예제 프로그램). 저장 폴더: {name}",
  "recv.sender-off-roster": "명단에 없는 이름: {name} ({peer})",
  "recv.sender-refused": "보낸 사람 거절: {name} ({peer}), 이유: {reason}",
  "recv.sender-closest": "명단에 없음. 비슷한 이름: {closest}",
  "recv.no-name": "(이름 없음)",
  "recv.live-roster":
    "명단: {total}명 중 {sent}명 보냄, {missing}명 안 보냄 · 지금 보내는 중 {active}명",
  "recv.live": "지금까지 보낸 사람 {senders}명 · 지금 보내는 중 {active}명",
  "summary.title": "보낸 사람별 정리 ({dir}):",
  "summary.name": "이름",
  "summary.files": "파일",
  "summary.bytes": "크기",
  "summary.last": "마지막 파일",
  "summary.missing": "아직 안 보낸 사람 ({count}명): {names}",
  "summary.all-sent": "명단의 모든 사람이 파일을 보냈습니다.",
  "summary.empty": "아직 받은 파일이 없습니다: {dir}",
  "opt.dir": "받은 파일을 저장할 폴더 (기본값: ./received)",
  "opt.overwrite": "같은 이름이 있으면 (1), (2) 를 붙이지 않고 덮어씁니다",
  "opt.max-size": "받을 수 있는 가장 큰 파일, 예: 100m (기본값: 제한 없음)",
  "opt.max-connections": "동시에 받을 수 있는 보내는 사람 수 (기본값: 64)",
  "opt.max-per-address":
    "한 주소에서 동시에 받을 수 있는 보내는 사람 수, 공유기 하나 뒤의 반 전체용 (기본값: 8)",
  "opt.idle-timeout": "보내는 사람이 이만큼(초) 조용하면 연결을 끊습니다 (기본값: 30)",
  "opt.classic-name": "수업 예제(classic) 방식으로 받은 파일의 기본 이름",
  "opt.chunk-size": "한 번에 읽고 쓰는 바이트 수, 예: 1k, 4m (기본값: 1m)",
  "opt.retries": "연결이 끊어지면 이 횟수만큼 다시 연결해 이어서 보냅니다 (기본값: 3)",
  "opt.classic": "수업 예제의 프로토콜(크기, ready, 바이트)로 보냅니다: 이름과 검증이 없습니다",
  "cmd.receivers": "이 네트워크에서 자신을 알리고 있는 받는 쪽 목록을 보여 줍니다.",
  "opt.no-announce":
    "이 받는 쪽을 네트워크에 알리지 않습니다 (그러면 보내는 사람은 --to 가 필요합니다)",
  "opt.no-qr": "시작할 때 주소의 QR 코드를 보여 주지 않습니다",
  "opt.code":
    "받지 않습니다: 명령줄의 코드는 이 컴퓨터의 모든 사용자가 볼 수 있습니다. SOCKIT_CODE 나 --code-file 을 쓰세요",
  "opt.code-file": "페어링 코드를 파일에서 읽습니다 (SOCKIT_CODE 대신)",
  "opt.open": "코드도 암호화도 없이 네트워크의 누구에게서나 파일을 받습니다",
  "opt.classic-receive": "코드를 쓸 수 없는 수업 예제(classic) 보내는 쪽도 받습니다",
  "opt.no-web": "같은 포트에서 휴대폰과 브라우저용 업로드 페이지를 열지 않습니다",
  "opt.to-found": "기본값: 이 네트워크에서 찾은 받는 쪽",
  "opt.wait": "받는 쪽을 찾으며 기다릴 초 (기본값: 3)",
  "disc.announcing":
    "2초마다 이 받는 쪽을 네트워크에 알리고 있습니다 (UDP 포트 {port}). 친구들은 '{command} send 파일' 만 입력하면 됩니다.",
  "disc.no-targets":
    "네트워크에 알리지 않습니다: 주소 {address} 로는 알릴 네트워크 인터페이스가 없습니다. 보내는 사람은 --to 를 써야 합니다.",
  "disc.announce-failed": "{address} 에서 {via} 방식으로 알리지 못했습니다: {reason}",
  "disc.qr": "주소 {text} 의 QR 코드:",
  "disc.looking": "이 네트워크에서 받는 쪽을 찾는 중… ({seconds}초)",
  "disc.join-failed":
    "{address} 에서 멀티캐스트 알림을 들을 수 없습니다 ({reason}). 브로드캐스트 알림은 그대로 받습니다.",
  "disc.ignored": "{from} 에서 온 올바르지 않은 알림을 무시했습니다 ({problem})",
  "disc.receiver": "{name}, 주소 {address}",
  "disc.receiver-nameplate": "{name}, 주소 {address}, 코드 번호 {nameplate}",
  "disc.using-only": "이 네트워크에서 찾은 유일한 받는 쪽으로 보냅니다: {receiver}",
  "disc.using-nameplate": "코드 번호가 같은 받는 쪽으로 보냅니다: {receiver}",
  "disc.using-chosen": "다음 받는 쪽으로 보냅니다: {receiver}",
  "disc.several": "이 네트워크에 받는 쪽이 여럿 있습니다:",
  "disc.ask": "어느 쪽으로 보낼까요? 번호를 입력하세요 (1-{count}):",
  "disc.ask-again": "1부터 {count} 사이의 번호를 입력하거나, 그만두려면 Ctrl+C 를 누르세요.",
  "recv.listening": "{address} 에서 파일을 받아 {dir} 에 저장합니다. 끝내려면 Ctrl+C 를 누르세요.",
  "recv.hint": "친구들은 이렇게 보내면 됩니다: {command}",
  "recv.file-start": "{peer} 에게서 {path} ({size}) 받는 중",
  "recv.file-resume": "{peer} 에게서 {path} 이어 받는 중: 전체 {size}, 이미 받은 양 {offset}",
  "recv.file-done":
    "{peer} 에게서 받은 파일을 {stored}{stored:으로/로} 저장: {amount}, SHA-256 {sha256}",
  "recv.file-done-classic":
    "{peer} 에게서 받은 파일을 {stored}{stored:으로/로} 저장 (classic 방식, 검증 없음): {amount}, SHA-256 {sha256}",
  "recv.file-rejected": "{peer} 의 {path}{path:을/를} 거절했습니다: {reason}",
  "recv.file-failed": "{peer} 의 {path} 전송이 실패해 아무것도 저장하지 않았습니다: {reason}",
  "recv.suppressed": "… 같은 곳에서 온 비슷한 기록 {count}줄은 생략했습니다 (보낸 곳 {from})",
  "recv.partial-dropped":
    "보관할 수 있는 미완성 전송이 너무 많아서 지웠습니다: {path} ({bytes}, 보낸 곳 {from})",
  "recv.folder": "{peer}{peer:을/를} 위해 폴더 {stored}{stored:을/를} 만들었습니다",
  "recv.session-error": "{peer} 의 연결이 끝났습니다: {reason}",
  "recv.code": "코드: {code}",
  "recv.hint-code": "친구들은 이렇게 보내면 됩니다: {command} — 코드를 물어보면 입력하세요.",
  "recv.open":
    "열림: 이 네트워크의 누구나 여기로 파일을 보낼 수 있고, 아무것도 암호화되지 않습니다 (코드 없음).",
  "recv.pairing-delayed":
    "{peer} 의 페어링은 {seconds}초 기다린 뒤 응답합니다: 그곳에서 틀린 코드가 왔습니다.",
  "recv.guessing":
    "누군가 코드를 계속 추측하고 있습니다 (마지막: {peer}, 10분 동안 틀린 코드 {failures}번). 모든 페어링을 늦춥니다. 새 코드로 다시 시작하는 것을 고려하세요.",
  "recv.classic-refused":
    "{peer} 의 수업 예제(classic) 보내는 쪽을 거절했습니다: 코드를 실을 수 없습니다. classic 보내는 쪽도 받으려면 --classic 으로 시작하세요.",
  "send.code-prompt": "페어링 코드 (받는 쪽 화면에 있음):",
  "recv.summary": "받기 종료: 연결 {sessions}개에서 파일 {files}개를 받았습니다 ({bytes}).",
  "recv.web": "휴대폰·브라우저로 열기: {url}",
  "recv.web-plain": "이 페이지는 암호화되지 않은 HTTP 라서 올린 파일이 네트워크에 보입니다.",
  // The upload page
  "web.title": "파일 보내기: {host}",
  "web.plain-http":
    "이 페이지는 암호화되지 않은 HTTP 를 씁니다. 같은 네트워크의 누구나 여기서 올리는 파일과 코드를 볼 수 있으니 비밀스러운 파일은 올리지 마세요.",
  "web.send": "파일 보내기",
  "web.name": "이름",
  "web.name-hint": "받는 쪽은 이 이름으로 과제를 정리합니다.",
  "web.code": "코드",
  "web.code-hint": "받는 쪽 화면에 나온 코드입니다. 예: 7-guitar-ocean-lamp",
  "web.open": "이 받는 쪽은 네트워크의 누구에게서나 파일을 받습니다.",
  "web.files": "파일 고르기",
  "web.folder": "폴더 고르기",
  "web.drop": "또는 파일과 폴더를 여기로 끌어다 놓으세요.",
  "web.submit": "보내기",
  "web.max-size": "파일 하나의 최대 크기: {size}",
  "web.nojs": "자바스크립트가 꺼져 있으면 진행 막대 없이 한 번에 보냅니다.",
  "web.overall": "전체",
  "web.sending": "보내는 중…",
  "web.waiting": "기다리는 중",
  "web.receipt": "저장된 이름: {stored}, 크기: {size}, SHA-256: {sha256}",
  "web.refused": "거절됨: {reason}",
  "web.failed": "실패: {reason}",
  "web.network": "받는 쪽과의 연결이 끊겼습니다",
  "web.wrong-code": "코드가 맞지 않습니다. 받는 사람에게 코드를 확인하세요.",
  "web.need-files": "먼저 파일이나 폴더를 하나 이상 고르세요.",
  "web.need-name": "먼저 이름을 입력하세요.",
  "web.done": "파일 {count}개를 보냈습니다. 모두 {size}.",
  "web.results": "결과",
  "web.get": "sockit 받기",
  "web.get-intro":
    "sockit 은 컴퓨터에서도 돌아갑니다. 컴퓨터에서는 폴더를 통째로 빠르게 보내고 받을 수도 있습니다. 여기서 받으세요:",
  "web.get-script": "파일 하나로 된 프로그램 (Deno 가 필요합니다):",
  "web.get-run": "실행하는 명령:",
  "web.get-binaries": "바로 실행할 수 있는 프로그램 (Deno 가 필요 없습니다):",
  "web.get-none": "이 받는 쪽에는 나눠 줄 실행 파일이 없습니다.",
  "web.get-verify": "받은 파일은 sha256sum FILE 로 SHA-256 을 확인하세요.",
  "send.plan": "파일 {files}개를 보냅니다 ({bytes})",
  "send.connected": "{peer} 에 연결했습니다",
  "send.file-done": "{path} 보냄: {stored}{stored:으로/로} 저장됨 ({amount}, SHA-256 검증 완료)",
  "send.file-done-classic": "{path} 보냄 ({amount})",
  "send.classic-unverified":
    "classic 방식은 내용을 검증할 수 없습니다: 수업 예제의 받는 프로그램은 해시를 알려 주지 않으니 직접 확인하세요.",
  "send.file-rejected": "받는 쪽이 {path}{path:을/를} 거절했습니다: {reason}",
  "send.folder": "폴더 {path}{path:을/를} 만들었습니다",
  "send.resume": "받는 쪽에 이미 있는 {offset} 다음부터 {path}{path:을/를} 이어서 보냅니다",
  "send.retry":
    "연결이 끊어졌습니다 ({reason}). {seconds}초 뒤에 다시 연결합니다 ({retries}번 중 {attempt}번째)…",
  "send.busy":
    "받는 쪽이 다른 사람의 파일을 받느라 바쁩니다. {seconds}초 기다렸다가 다시 시도합니다…",
  "send.summary": "완료: 파일 {files}개, {amount}.",
  "send.summary-rejected": "받는 쪽이 {rejected}개를 거절했습니다.",
  "send.summary-failed": "{failed}개는 보내는 도중에 바뀌어서 보내지 못했습니다.",
  "reject.bad-header": "요청 형식이 잘못되었습니다",
  "reject.bad-name": "안전하지 않은 이름입니다",
  "reject.name-conflict": "이미 있는 것과 이름이 겹칩니다",
  "reject.too-large": "받는 쪽이 허용하는 것보다 큰 파일입니다",
  "reject.unsupported-version":
    "받는 쪽이 다른 프로토콜 버전을 씁니다. 양쪽이 같은 버전이 되도록 sockit 을 업데이트하세요",
  "reject.busy": "받는 쪽에 보내는 사람이 너무 많습니다. 잠시 후 다시 시도하세요",
  "reject.disk-full": "받는 쪽의 디스크가 가득 찼습니다",
  "reject.write-failed": "받는 쪽이 파일을 쓸 수 없었습니다",
  "reject.hash-mismatch": "내용이 손상되어 도착했습니다 (SHA-256 불일치). 다시 보내세요",
  "reject.timeout": "전송이 너무 느려 시간이 초과되었습니다",
  "reject.internal": "받는 쪽에서 내부 오류가 났습니다",
  "reject.wrong-code": "코드가 맞지 않습니다 (틀린 코드가 반복되면 응답이 늦어집니다)",
  "why.closed-early":
    "보내는 쪽이 끝나기 전에 연결을 끊었습니다 (이어 받기를 위해 받은 부분은 보관)",
  "why.connection-reset": "연결이 리셋되었습니다 (이어 받기를 위해 받은 부분은 보관)",
  "why.timeout": "보내는 쪽이 너무 오래 조용했습니다",
  "why.protocol": "보내는 쪽이 프로토콜을 어겼습니다: {reason}",
  "error.connection-refused":
    "{host}:{port} 에서 기다리는 프로그램이 없습니다. 서버(또는 받는 쪽)를 먼저 실행하고, IP 주소와 포트, 두 컴퓨터가 같은 네트워크인지, 받는 쪽 방화벽이 sockit 을 허용하는지 확인하세요.",
  "error.address-in-use":
    "{host} 의 포트 {port}{port:은/는} 이미 사용 중입니다. 다른 프로그램을 끄거나 --port 로 다른 포트를 고르세요.",
  "error.address-unavailable":
    "{host}{host:은/는} 이 컴퓨터의 주소가 아닙니다. 이 컴퓨터의 주소를 쓰거나 --host 를 빼세요.",
  "error.bad-address":
    "올바른 주소가 아닙니다: '{value}'. 호스트 또는 호스트:포트 형식으로 쓰세요 (예: 192.168.0.12:6000).",
  "error.bad-port": "올바른 포트가 아닙니다: '{value}'. 1부터 65535 사이의 숫자를 쓰세요.",
  "error.bind-permission":
    "포트 {port} 에서 기다릴 권한이 없습니다. 1024 미만 포트는 관리자 권한이 필요하니 1024 이상을 쓰세요.",
  "error.connection-reset":
    "{host}:{port} 와의 연결이 상대편에 의해 끊어졌습니다. 다시 시도하세요.",
  "error.closed-early":
    "{host}:{port} 와의 연결이 주고받기가 끝나기 전에 닫혔습니다. 상대편이 아직 실행 중인지 확인하세요.",
  "error.unreachable":
    "{host} 에 닿을 수 없습니다. 두 컴퓨터가 같은 네트워크에 있는지, 주소가 맞는지, 상대 컴퓨터의 방화벽이 sockit 을 허용하는지 확인하세요.",
  "error.host-not-found":
    "호스트 이름 '{host}' 에 해당하는 컴퓨터를 찾을 수 없습니다. 철자를 확인하거나 IP 주소를 쓰세요.",
  "error.timeout":
    "{host}:{port}{port:이/가} {seconds}초 안에 응답하지 않았습니다. 실행 중인지, 같은 네트워크인지, 방화벽이 sockit 을 허용하는지 확인하세요.",
  "error.echo-mismatch":
    "{host}:{port}{port:은/는} 에코 서버처럼 응답하지 않습니다: 응답 {replies}개 중 {intact}개만 그대로 돌아왔습니다 (보낸 바이트 {sent} B, 돌아온 바이트 {received} B). 주소와 포트를 확인하세요 (에코 서버는 9999 를 씁니다).",
  "error.protocol": "상대편이 프로토콜을 어겼습니다: {reason}",
  "error.rejected": "받는 쪽이 전송을 끝냈습니다: {reason}",
  "error.not-found": "{path}{path:이/가} 없습니다. 경로를 확인하세요.",
  "error.not-a-file": "{path}{path:은/는} 파일도 폴더도 아닙니다.",
  "error.read-failed": "{path}{path:을/를} 읽을 수 없습니다: {reason}",
  "error.file-changed":
    "{path}{path:이/가} 보내는 도중에 바뀌어서 저장되지 않았습니다. 파일을 저장하고 닫은 뒤 다시 보내세요.",
  "error.permission-denied":
    "권한이 없습니다: 이 사용자는 {path}{path:을/를} 읽을 수 없습니다. 읽기 권한을 주거나 내 폴더로 복사한 뒤 다시 보내세요.",
  "error.write-failed": "{path}{path:을/를} 쓸 수 없습니다: {reason}",
  "error.dir-not-folder":
    "{path}{path:은/는} 폴더가 아닙니다 (같은 이름의 파일이 있습니다). --dir 로 폴더를 고르세요. 없으면 만듭니다.",
  "error.dir-not-writable":
    "{path}에 파일을 저장할 수 없습니다: 이 사용자에게는 쓰기 권한이 없습니다. --dir 로 내 폴더를 고르세요. 없으면 만듭니다.",
  "error.disk-full":
    "{path}{path:을/를} 쓰는 중에 디스크가 가득 찼습니다. 공간을 비우고 다시 보내세요.",
  "error.bad-size":
    "올바른 크기가 아닙니다: '{value}'. 숫자 뒤에 k, m, g 를 붙일 수 있습니다 (예: 1k, 4m).",
  "error.bad-option": "{reason}",
  "error.unverified": "{path}{path:은/는} 도착했지만 내용을 검증할 수 없습니다: {reason}",
  "error.bad-name": "안전한 파일 이름이 아닙니다: '{name}' ({problem}).",
  "error.not-sockit":
    "{host}:{port} 의 프로그램은 sockit 받는 쪽이 아닙니다. 포트를 확인하고, 수업 예제의 파이썬 받는 프로그램이라면 --classic 을 붙이세요.",
  "error.unsafe-folder":
    "안전하지 않아서 쓸 수 없는 폴더입니다: {path} ({reason}). 다른 사용자가 sockit 이 엉뚱한 곳에 쓰게 만들 수 있습니다. 지우거나 이렇게 고치세요: chmod 700 {path}",
  "error.name-conflict": "이 이름으로 저장할 수 없습니다: '{name}' ({problem}).",
  "error.bad-code": "페어링 코드가 올바르지 않습니다: {problem}. 받는 사람에게 코드를 확인하세요.",
  "error.wrong-code": "코드가 맞지 않습니다. 받는 사람에게 코드를 확인하세요.",
  "error.open-receiver":
    "{host}:{port} 의 받는 쪽은 코드 없이 파일을 받습니다(누구나 보낼 수 있고 암호화되지 않음). 코드가 아무것도 보호하지 못하니 받는 사람에게 확인하거나, SOCKIT_CODE 와 --code-file 없이 보내세요.",
  "error.unpaired-receiver":
    "네트워크에서 찾은 {host}:{port} 의 받는 쪽은 코드를 묻지 않습니다. 그래서 원하는 받는 쪽이 맞는지 확인할 방법이 없습니다(누구나 받는 쪽인 척 알릴 수 있음). 받는 사람이 일부러 코드 없이 실행한 것이라면 주소를 직접 지정해 보내세요: --to {host}:{port}",
  "error.code-needed":
    "{host}:{port} 의 받는 쪽이 페어링 코드를 요구합니다. 물어볼 때 입력하거나 SOCKIT_CODE 또는 --code-file FILE 을 쓰세요.",
  "error.code-on-argv":
    "sockit 은 명령줄로 페어링 코드를 받지 않습니다 (이 컴퓨터의 모든 사용자가 ps 로 볼 수 있음). SOCKIT_CODE 를 설정하거나 --code-file FILE 을 쓰세요.",
  "error.record-tampered":
    "상대편에서 온 암호화된 데이터가 무결성 검사를 통과하지 못했습니다. 오는 도중에 바뀌었거나 손상되었습니다. 연결을 닫았습니다.",
  "error.record-replayed":
    "상대편이 암호화된 레코드를 다시 보냈습니다 (받은 번호: {record}, 기다린 번호: {expected}). 재전송 공격일 수 있습니다. 연결을 닫았습니다.",
  "error.record-reordered":
    "암호화된 레코드의 순서가 맞지 않습니다 (받은 번호: {record}, 기다린 번호: {expected}). 레코드가 빠졌거나 순서가 바뀌었습니다. 연결을 닫았습니다.",
  "error.record-truncated":
    "암호화된 데이터가 마지막 레코드 전에 끝났습니다. 데이터가 완전하지 않습니다. 연결을 닫았습니다.",
  "error.no-receivers":
    "{seconds}초 동안 이 네트워크에서 sockit 받는 쪽을 찾지 못했습니다. --to HOST 로 받는 쪽 주소를 직접 주거나 (받는 쪽이 시작할 때 보여 줍니다), 받는 쪽이 --no-announce 없이 실행 중인지, 이 컴퓨터의 방화벽이 sockit 의 UDP 포트 {port} 수신을 허용하는지, 네트워크가 기기끼리 막아 두지 않았는지 확인하세요 (학교나 손님용 Wi-Fi 는 기기를 서로 격리하거나 멀티캐스트를 막는 경우가 많습니다).",
  "error.several-receivers":
    "이 네트워크에 받는 쪽이 여럿 있습니다: {list}. --to HOST:PORT 로 하나를 고르세요.",
  "error.no-matching-receiver":
    "이 네트워크에는 코드 번호가 {nameplate} 인 받는 쪽이 없습니다 (찾은 것: {list}). 받는 사람에게 코드를 확인하거나 --to HOST:PORT 로 주소를 주세요.",
  "error.internal": "예상하지 못한 오류: {reason}",
};

/** Every catalog, by language. Each has exactly the keys of the English one. */
export const CATALOGS: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { en, ko };

/** Values substituted into `{name}` placeholders. */
export type MessageParams = Record<string, string | number | undefined>;

/**
 * Looks up `key` in the `lang` catalog and fills its placeholders. A placeholder with no
 * value is left as written, so a missing value is visible rather than silently empty.
 *
 * Two forms choose words by a value: `{n:file|files}` is the singular when `n` is 1, else the
 * plural; `{path:을/를}` is the Korean particle that fits how `path` ends (the first after a
 * final consonant, the second after a vowel; `으로/로` also after ㄹ), or both as `을(를)` when
 * the end cannot be read. Neither prints the value itself.
 *
 * @example
 * ```ts
 * import { translate } from "./messages.ts";
 * translate("en", "echo.connected", { peer: "127.0.0.1:50000" });
 * // "Connected by 127.0.0.1:50000"
 * translate("en", "send.plan", { files: 1, bytes: "10 B" }); // "Sending 1 file (10 B)"
 * translate("ko", "send.folder", { path: "big.bin" }); // "폴더 big.bin을 만들었습니다"
 * ```
 */
export function translate(lang: Lang, key: MessageKey, params: MessageParams = {}): string {
  return CATALOGS[lang][key].replace(
    /\{([a-z0-9]+)(?::([^{}]*))?\}/gi,
    (whole, name: string, forms?: string) => {
      const value = params[name];
      if (value === undefined) return whole;
      if (forms === undefined) return String(value);
      if (forms.includes("|")) {
        const [one, other] = forms.split("|");
        return Number(value) === 1 ? one : other;
      }
      const [afterConsonant, afterVowel] = forms.split("/");
      return particle(String(value), afterConsonant, afterVowel);
    },
  );
}

/** Final consonants (받침) of digits as Korean reads them: 영 일 이 삼 사 오 육 칠 팔 구. */
const DIGIT_FINAL = ["ㅇ", "ㄹ", "", "ㅁ", "", "", "ㄱ", "ㄹ", "ㄹ", ""];

/**
 * The final consonant that `text` is read with ("" for a vowel), or `undefined` when its end
 * is not Hangul, a digit or a Latin letter. Latin letters are read as their Korean spelling
 * of English endings: l → ㄹ, m and n → a consonant, others → a vowel (`.py` 파이, `.bin` 빈).
 */
function finalConsonant(text: string): string | undefined {
  const last = /([가-힣0-9A-Za-z])[^가-힣0-9A-Za-z]*$/.exec(text)?.[1];
  if (last === undefined) return undefined;
  if (/[0-9]/.test(last)) return DIGIT_FINAL[Number(last)];
  if (/[A-Za-z]/.test(last)) {
    const lower = last.toLowerCase();
    return lower === "l" ? "ㄹ" : lower === "m" || lower === "n" ? "ㄴ" : "";
  }
  const jong = (last.charCodeAt(0) - 0xac00) % 28;
  return jong === 0 ? "" : jong === 8 ? "ㄹ" : "ㄴ";
}

function particle(value: string, afterConsonant: string, afterVowel: string): string {
  const final = finalConsonant(value);
  if (final === undefined) return `${afterConsonant}(${afterVowel})`;
  // 으로/로: ㄹ takes 로 like a vowel.
  if (afterConsonant === "으로" && final === "ㄹ") return afterVowel;
  return final === "" ? afterVowel : afterConsonant;
}

/**
 * Picks the language the way POSIX tools do: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that
 * is set decides; a value starting with `ko` means Korean. Where none is set (Windows sets none
 * of them), the system's language as Deno reports it (`navigator.language`) decides.
 *
 * @example
 * ```ts
 * import { detectLang } from "./messages.ts";
 * detectLang({ LANG: "ko_KR.UTF-8" }); // "ko"
 * detectLang({ LC_ALL: "C", LANG: "ko_KR.UTF-8" }); // "en"
 * detectLang({}, "ko-KR"); // "ko"
 * ```
 */
export function detectLang(env: Record<string, string | undefined>, system?: string): Lang {
  for (const name of ["LC_ALL", "LC_MESSAGES", "LANG"]) {
    const value = env[name];
    if (value) return value.toLowerCase().startsWith("ko") ? "ko" : "en";
  }
  return system?.toLowerCase().startsWith("ko") ? "ko" : "en";
}

/** Returns true when `value` names a language sockit speaks. */
export function isLang(value: string): value is Lang {
  return (LANGS as readonly string[]).includes(value);
}
