// note_validation.cpp — the rules for ids and texts.
#include "note_validation.h"

#include <keel/problem.h>

namespace notes {

void checkNoteId(const std::string& id) {
    static const char* const kAllowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    if (!id.empty() && id.size() <= 64 && id.find_first_not_of(kAllowed) == std::string::npos) return;
    throw keel::HttpError(400, "Invalid Note Id", "a note id is 1 to 64 letters, digits, '_' or '-'");
}

void checkNoteText(const std::string& text, std::size_t maxLength) {
    if (!text.empty() && text.size() <= maxLength) return;
    keel::Problem problem = keel::Problem::of(
        422, "Invalid Note",
        "a note is 1 to " + std::to_string(maxLength) + " bytes; this one is " + std::to_string(text.size()));
    problem.type = "https://notes.example.com/problems/invalid-note";
    problem.extensions["max_length"] = maxLength;  // a JSON number
    throw keel::HttpError(problem);
}

}  // namespace notes
