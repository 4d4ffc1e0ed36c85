#pragma once

#include <cstdint>
#include <string_view>

// Every fixed reply and error string corecached sends, once, with the protocol.txt section it comes
// from (STYLE.md 10.7: `grep -rn CLIENT_ERROR src` finds this file and nothing else).
// Edit only your protocol's section.

namespace corecached::proto::replies {

// ---- Text protocol (protocol.txt "Commands", "Storage commands", ...) -------------------------
// (text section: filled in by the text protocol work)

// ---- Meta protocol (protocol.txt "Meta Commands") ----------------------------------------------
// (meta section: filled in by the meta protocol work)

// ---- Binary protocol (protocol-binary.xml "Response Status") -----------------------------------
// (binary section: filled in by the binary protocol work)

}  // namespace corecached::proto::replies
