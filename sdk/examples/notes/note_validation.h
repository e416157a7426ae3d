// note_validation.h — what a note id and a note text may be. Throws keel::HttpError.
#pragma once

#include <cstddef>
#include <string>

namespace notes {

// 1 to 64 characters of [A-Za-z0-9_-]; a 400 problem otherwise.
void checkNoteId(const std::string& id);
// 1 to maxLength bytes; a 422 problem with a max_length member otherwise.
void checkNoteText(const std::string& text, std::size_t maxLength);

}  // namespace notes
