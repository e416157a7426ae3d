// tests/note_validation_test.cpp — the rules for ids and texts, without a host.
#include "note_validation.h"

#include <gtest/gtest.h>
#include <keel/problem.h>

namespace notes {
namespace {

TEST(NoteValidation, AcceptsIdsOfUpTo64LettersDigitsUnderscoresAndHyphens) {
    EXPECT_NO_THROW(checkNoteId("shopping-list_2"));
    EXPECT_THROW(checkNoteId(""), keel::HttpError);
    EXPECT_THROW(checkNoteId(std::string(65, 'a')), keel::HttpError);
    EXPECT_THROW(checkNoteId("a b"), keel::HttpError);
}

TEST(NoteValidation, RefusesATooLongTextWithA422NamingTheLimit) {
    try {
        checkNoteText(std::string(11, 'x'), 10);
        FAIL() << "expected an HttpError";
    } catch (const keel::HttpError& error) {
        EXPECT_EQ(error.problem().status, 422);
        EXPECT_EQ(error.problem().extensions.at("max_length").convert<int>(), 10);
    }
}

}  // namespace
}  // namespace notes
