"""An account's contacts: each person's phone id and lid, and finding the one chat of a person."""

from __future__ import annotations

from simulator import ids
from simulator.errors import bad_request, not_found
from simulator.models import Account, Chat, Person


class People:
    """Who is behind an id (a mixin of the store, which owns ``lid_owner``)."""

    lid_owner: dict[str, str]  # lid -> phone JID of every person seen so far

    def person(self, account: Account, phone_jid: str, *, phone_known: bool) -> Person:
        """The account's contact behind ``phone_jid`` (created on first sight)."""
        person = account.people.get(phone_jid)
        if person is None:
            person = Person(phone_jid, ids.lid_of(ids.jid_user(phone_jid)))
            account.people[phone_jid] = person
            self.lid_owner[person.lid] = phone_jid
        person.phone_known = person.phone_known or phone_known
        return person

    def note_recipient(self, account: Account, chat_id: str) -> None:
        """Writing to a number makes it a contact; to a known lid, its person (number unseen)."""
        if ids.is_lid(chat_id) and chat_id in self.lid_owner:
            self.person(account, self.lid_owner[chat_id], phone_known=False)
        elif not ids.is_lid(chat_id) and not chat_id.endswith("@g.us"):
            self.person(account, chat_id, phone_known=True)

    def phone_of(self, jid: str) -> str:
        """The digits a message to ``jid`` reaches: the phone behind a lid, else the JID's user."""
        return ids.jid_user(self.lid_owner.get(jid, jid))

    def owner_of_lid(self, lid: str, field: str = "from") -> str:
        phone_jid = self.lid_owner.get(lid)
        if phone_jid is None:
            raise bad_request(f"{field}: no known contact has the lid {lid}", field)
        return phone_jid

    @staticmethod
    def chat_of_person(account: Account, person: Person) -> Chat | None:
        """One person is one chat, whichever of its ids the chat was created under."""
        return account.chats.get(person.phone_jid) or account.chats.get(person.lid)

    def find_chat(self, account: Account, jid: str) -> Chat | None:
        """A chat by its id, or by the other id of the same person."""
        chat = account.chats.get(jid)
        person = account.people.get(self.lid_owner.get(jid, jid))
        if chat is None and person is not None:
            chat = self.chat_of_person(account, person)
        return chat

    def send_target(
        self,
        account: Account,
        jid: str,
        invalid_numbers: set[str],
        *,
        field: str = "chatId",
        code: str = "chat_not_found",
    ) -> str:
        """The chat a message to ``jid`` lands in: the person's (under either id) or the group's;
        a number on WhatsApp, or the lid of a known person, not chatted with yet starts one."""
        chat = self.find_chat(account, jid)
        if chat is not None:
            return chat.chat_id
        if jid.endswith("@g.us") or (ids.is_lid(jid) and jid not in self.lid_owner):
            raise not_found(f"Chat not found for {jid}", code, field)
        if ids.jid_user(jid) in invalid_numbers:
            raise not_found(f"{jid} is not on WhatsApp", code, field)
        return jid

    @staticmethod
    def name_of(account: Account, jid: str) -> str:
        return account.contacts.get(jid) or f"+{ids.jid_user(jid)}"
