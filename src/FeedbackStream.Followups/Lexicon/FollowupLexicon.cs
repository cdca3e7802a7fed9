namespace FeedbackStream.Followups.Lexicon;

/// <summary>One lexicon entry.</summary>
/// <param name="Text">The phrase as written in the table (normalized words; see <see cref="FollowupLexicon"/>).</param>
/// <param name="Words">Its words; a word ending in <c>*</c> matches any word with that prefix.</param>
/// <param name="Kind">A follow-up kind, or <see cref="FollowupKinds.Neutral"/> for a request/next-question cue.</param>
/// <param name="Weight">Evidence in log-odds units added to the kind's polarity (see <see cref="LexiconClassifier"/>).</param>
/// <param name="ShortOnly">Counts only when the whole utterance has at most <see cref="FollowupLexicon.ShortUtteranceWords"/> words ("ok").</param>
/// <param name="WholeOnly">Counts only when the phrase is the whole utterance ("what?", "k").</param>
/// <param name="QuestionOnly">Counts only when its segment ends with a question mark ("that's it?").</param>
/// <param name="NeedsTarget">
/// An evaluative or content word that says something about the answer only when its sentence is about the answer
/// ("that's dumb", "your list is missing X") and not about the topic ("that film was dumb", "The Missing Sock"):
/// counts only when <see cref="LexiconClassifier"/> finds the answer as its target.
/// </param>
internal sealed record LexiconPhrase(string Text, IReadOnlyList<string> Words, string Kind, double Weight, bool ShortOnly, bool QuestionOnly, bool WholeOnly = false, bool NeedsTarget = false);

/// <summary>
/// The phrase table of the rule classifier, written by the project. Phrases are in the normalized form of
/// <see cref="Text.FollowupText"/>: lower case, no apostrophes ("thats", "dont", "im"), emoji as words.
/// Prefix <c>^</c>: short utterances only; <c>=</c>: the whole utterance only; <c>?</c>: question segments only;
/// <c>@</c>: only when the sentence targets the answer (see <see cref="LexiconPhrase.NeedsTarget"/>); suffix
/// <c>*</c> on a word: prefix match.
/// Weights: about 2.5 for a phrase that on its own settles the kind, 1–2 for a hint, below 1 for neutral cues.
/// </summary>
internal static class FollowupLexicon
{
    /// <summary>Utterances of at most this many words are "short" (the <c>^</c> phrases apply).</summary>
    public const int ShortUtteranceWords = 4;

    /// <summary>Words that negate a phrase starting within the next <see cref="NegationWindow"/> words of the same segment.</summary>
    public static IReadOnlySet<string> Negators { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "not", "never", "isnt", "wasnt", "arent", "werent", "dont", "doesnt", "didnt", "cant", "cannot", "couldnt",
        "wont", "wouldnt", "hardly", "nothing", "nor", "aint", "havent", "hasnt", "neither", "barely",
    };

    /// <summary>Words that address the assistant: a phrase with one of them is about the answer by itself.</summary>
    public static IReadOnlySet<string> SecondPerson { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "you", "your", "youre", "yours", "yourself", "youve", "youd", "youll", "u", "ur",
    };

    /// <summary>How many words before a phrase a negator may stand.</summary>
    public const int NegationWindow = 3;

    private static readonly (string Kind, double Weight, string[] Phrases)[] Table =
    [
        // ---- SAT ----
        (FollowupKinds.Gratitude, 2.5, ["appreciate*", "thanks for catching", "thank*", "thx", "ty", "tysm", "tyvm", "appreciate it", "appreciate that", "appreciate your help", "appreciate the help", "much appreciated", "many thanks", "grateful", "emojithanks", "you saved me", "lifesaver", "life saver"]),
        (FollowupKinds.Gratitude, 1.5, ["cheers", "=ta"]),
        (FollowupKinds.Gratitude, 3.0, ["cant thank you enough", "cannot thank you enough", "couldnt thank you enough"]),
        (FollowupKinds.Gratitude, 1.0, ["thanks anyway", "thank you anyway", "thanks though"]),

        (FollowupKinds.Learning, 2.5, ["more sense", "now i get", "i get why", "now i see", "i didnt know", "didnt know that", "never knew", "til", "today i learned", "good to know", "learned something", "learnt something", "now i understand", "now i get it", "now it makes sense", "makes more sense now", "that explains", "that clears it up", "clears things up", "cleared it up", "i had no idea", "had no idea", "so thats how", "so thats why", "now i know", "mind blown", "mindblown", "never thought of", "never realized", "never realised", "i learned", "i learnt", "eye opening", "eye opener", "didnt realize", "didnt realise", "never heard of that", "news to me", "new to me", "learned a lot", "learnt a lot", "thats new"]),
        (FollowupKinds.Learning, 2.0, ["@fascinating", "@interesting", "oh i see", "i see now", "who knew", "wow i"]),

        (FollowupKinds.Compliance, 2.5, ["no errors", "no more errors", "no error", "ill take", "ill stick with", "i changed", "i did what you said", "as you suggested", "like you suggested", "go ahead", "switching to", "installing it", "booking the", "reserve it", "im switching", "ill try", "i will try", "ill do that", "i will do that", "ill give it a try", "ill give that a try", "ill give it a shot", "ill give that a shot", "lets do that", "lets go with", "ill go with", "i will go with", "ill take it", "ill take that", "i tried it", "i tried that", "it worked", "that worked", "worked perfectly", "it works", "works now", "works perfectly", "that fixed it", "fixed it", "problem solved", "following your", "i followed", "ill use", "ill follow", "im going to try", "im going to use", "gonna try", "going to try", "sounds like a plan", "ill book", "book it", "ill do it", "doing it now", "ill start", "just did", "i did it", "ran it", "wish me luck", "ill let you know", "ill report back", "trying it now", "testing it now", "let me try", "ill check it out", "just booked", "booked it", "ordered it", "bought it", "installed it", "ill send it", "sending it now", "i made it", "i cooked", "i baked", "made it last night"]),
        (FollowupKinds.Compliance, 2.0, ["i tried", "^done", "^will do", "^on it", "^yes please", "^lets do it"]),

        (FollowupKinds.Praise, 2.5, ["best explanation", "best answer", "@perfect", "@excellent", "@amazing", "@brilliant", "@fantastic", "@wonderful", "@superb", "@outstanding", "love it", "love this", "loved it", "love that", "@love the", "good job", "great job", "nice job", "well done", "nailed it", "spot on", "exactly what i", "just what i needed", "youre the best", "you are the best", "you rock", "@genius", "@impressive", "very helpful", "so helpful", "super helpful", "really helpful", "extremely helpful", "great answer", "good answer", "great explanation", "great response", "clear explanation", "well written", "well explained", "not bad at all", "top notch", "emojiheart", "@incredible", "@beautiful", "@beautifully", "@chefs kiss", "you are a star", "youre a star", "@legend", "@works great", "@works like a charm", "like a charm", "@exactly right", "@so good", "@really good", "@very good", "@exactly"]),
        (FollowupKinds.Praise, 2.0, ["@the best", "@awesome", "helpful", "@useful", "@lovely", "@great", "excellent work", "@neat"]),
        (FollowupKinds.Praise, 1.5, ["@nice", "@not bad", "@good", "emojithumbsup", "@cool"]),
        (FollowupKinds.Praise, 1.0, ["emojismile"]),
        (FollowupKinds.Praise, 3.0, ["couldnt be happier", "couldnt have asked for", "cant complain", "couldnt ask for more", "no complaints"]),

        (FollowupKinds.PersonalDetails, 1.8, ["my wife", "my husband", "my son", "my daughter", "my kids", "my kid", "my children", "my mom", "my mum", "my mother", "my dad", "my father", "my partner", "my boyfriend", "my girlfriend", "my family", "my dog", "my cat", "my job", "my boss", "my team", "my students", "my class", "my grandma", "my grandmother", "my sister", "my brother", "my parents", "my name is", "i work as", "i work at", "i work in", "i live in", "im from", "i am from", "years old", "my birthday", "im studying", "i study", "i teach", "my hometown", "i grew up", "for context", "my company", "my landlord", "my doctor", "i was born", "im allergic", "i am allergic", "im vegetarian", "im vegan", "i am vegetarian", "i am vegan", "my first time", "im new to", "i just moved", "im pregnant", "my roommate", "my neighbor", "my neighbour", "my wedding", "my husbands", "my wifes", "my kids are", "were a family", "im retired", "im a student", "my fiance", "my fiancee"]),
        (FollowupKinds.PersonalDetails, 1.5, ["im a", "i am a", "i have a", "i have two", "i have three", "i love to", "i like to", "my favorite", "my favourite"]),

        (FollowupKinds.Humor, 2.5, ["haha*", "hehe*", "lol", "lmao", "lmfao", "rofl", "@hilarious", "@funny", "made me laugh", "cracked me up", "im dying", "emojilaugh", "good one", "xd", "jk", "thats a good one", "lolol", "made my day", "im crying", "youre funny", "you are funny", "thats hilarious", "@pun", "@puns", "emojilaugh"]),

        (FollowupKinds.Acknowledgment, 1.8, ["thats what i thought", "got it", "gotcha", "understood", "makes sense", "that makes sense", "fair enough", "sounds good", "that works", "i understand", "noted", "agreed", "fair point", "good point", "thats true", "thats right", "that is right", "that is correct", "thats correct", "@true", "makes total sense", "ok cool", "okay cool"]),
        (FollowupKinds.Acknowledgment, 1.3, ["^ok", "^okay", "^okey", "^alright", "^all right", "^sure", "^yes", "^yep", "^yup", "^yeah", "^right", "^correct", "^i see", "^fine", "^ok then", "^mhm", "^oh ok", "^ah ok", "^ah", "^oh"]),

        (FollowupKinds.PositiveClosure, 2.5, ["thats all", "that is all", "thats it for now", "thats everything", "that is everything", "all set", "im all set", "im done", "bye", "goodbye", "good bye", "have a nice day", "have a great day", "have a good day", "have a good one", "good night", "goodnight", "see you", "see ya", "talk later", "talk to you later", "until next time", "nothing else", "no more questions", "that will be all", "thatll be all", "that should be all", "that should do it", "that does it", "thats all for now", "signing off", "take care", "ttyl", "no thanks", "no thank you", "nothing more", "i think im good", "that covers it", "that covers everything", "all good", "thats all i needed", "im set"]),
        (FollowupKinds.PositiveClosure, 1.5, ["^im good", "^thats it", "^all done", "^were done"]),

        (FollowupKinds.GettingThere, 3.0, ["getting there", "almost there", "much closer", "getting closer", "thats better", "much better", "a lot better", "a bit better", "way better", "on the right track", "were close", "were getting", "close enough", "better now", "nearly there", "almost right", "almost perfect", "@almost", "@closer", "@improvement", "@improving", "better already", "better this time", "@progress", "one more tweak", "just one more", "nearly perfect", "not quite there", "not quite yet", "heading in the right direction", "right direction"]),
        (FollowupKinds.GettingThere, 1.5, ["@better", "@nearly", "^close"]),

        // ---- DSAT ----
        (FollowupKinds.NegativeFeedback, 2.8, ["arent making sense", "isnt making sense", "does not make much sense", "you make no sense", "what are you saying", "what you are talking about", "what youre talking about", "not even close", "@dont like", "@do not like", "@didnt like", "@not impressed", "the best you can do", "the opposite of", "@useless", "@terrible", "@awful", "@horrible", "bad answer", "bad response", "thats bad", "not helpful", "unhelpful", "doesnt help", "didnt help", "not useful", "no help", "no use", "waste of time", "wasting my time", "wasted my time", "@stupid", "@dumb", "@ridiculous", "@nonsense", "@rubbish", "@garbage", "@trash", "makes no sense", "doesnt make sense", "does not make sense", "dont make sense", "didnt make sense", "did not make sense", "not making sense", "doesnt make any sense", "does not make any sense", "doesnt make much sense", "make no sense", "not make sense", "what are you talking about", "no idea what youre talking about", "@frustrating", "@annoying", "@disappointing", "@disappointed", "youre not helping", "you are not helping", "not helping", "this sucks", "that sucks", "it sucks", "@sucks", "hate it", "hate this", "hate that", "@worst", "@pathetic", "@wtf", "thanks for nothing", "thanks a lot for nothing", "yeah right", "real helpful", "slow clap", "what a surprise", "big surprise", "shocker", "emojieyeroll", "emojiangry", "emojithumbsdown", "youre not very helpful", "not very helpful", "not what i wanted", "not what i was looking for", "@not good", "@no good", "@poor", "@lame", "@confusing", "@confused", "you dont understand", "you dont get it", "thats not it", "@disappointment", "@pointless", "you are useless", "i give up", "smh"]),
        (FollowupKinds.NegativeFeedback, 2.0, ["@bad", "^nope", "@ugh", "@come on", "@oh great", "@just great", "@as usual", "emojisad", "^what the", "=really", "=seriously"]),

        (FollowupKinds.RevisionRequest, 2.5, ["a different approach", "different approach", "try again", "redo", "rewrite", "re write", "rephrase that", "rephrase it", "another version", "different version", "a different one", "can you change", "change it", "change that", "fix it", "fix this", "fix that", "please fix", "update it", "revise", "@modify", "edit it", "do it again", "one more time", "start over", "regenerate", "give me another", "@replace", "@remove the", "@take out", "@get rid of", "@swap", "@without the", "@can you add", "@add more", "@please add", "rework", "redo it", "write it again", "again but", "@adjust", "@tweak", "@use a different"]),

        (FollowupKinds.RevisionRequest, 1.5, ["@another one", "@change the"]),

        (FollowupKinds.FactualError, 2.8, ["made it up", "made that up", "@mixed up", "got it wrong", "you got it wrong", "@wrong", "thats wrong", "@is wrong", "@incorrect", "not correct", "@not true", "@isnt true", "thats false", "@not right", "@isnt right", "@mistake", "you made a mistake", "@inaccurate", "@not accurate", "@made up", "making that up", "making things up", "making stuff up", "hallucinat*", "@doesnt exist", "@does not exist", "there is no such", "@no such thing", "@outdated", "@out of date", "wrong answer", "fact check", "thats not how", "@false", "@not the case", "thats a myth", "you got that wrong", "you are mistaken", "youre mistaken", "miscalculated", "doesnt add up", "@not accurate", "@typo", "@doesnt work", "@didnt work", "@does not work", "@not working", "@doesnt compile", "@wont compile", "@crashes", "@still broken", "@broken", "i think you mean", "check your facts", "thats not true", "that isnt true", "thats not correct", "you are wrong", "youre wrong", "@throws an error", "@gives an error", "@error message"]),
        (FollowupKinds.FactualError, 1.2, ["@is actually", "@was actually", "@its actually", "@it is actually", "@actually it", "@actually its"]),

        // Discourse markers: "as I said, I love hiking" repeats the user's own words, not a complaint, unless more evidence joins.
        (FollowupKinds.Ignored, 1.0, ["as i said", "like i said", "as i mentioned", "i already said", "i already mentioned"]),

        // Alternatives asked for are hints: "instead could it be for four" changes the user's own request, not the answer.
        (FollowupKinds.RevisionRequest, 0.9, ["@instead", "@rather", "@something else", "@other options", "@make it"]),

        // "Actually" marks a contrast, as often the user's own change of mind ("actually, make it four") as a correction.
        (FollowupKinds.FactualError, 0.6, ["@actually"]),
        (FollowupKinds.FactualError, 2.0, ["@bug", "@bugs", "@error", "@errors"]),
        (FollowupKinds.FactualError, 3.0, ["dont think thats right", "dont think that is right", "not sure thats right", "not sure that is right", "dont think thats true", "dont think thats correct"]),
        (FollowupKinds.FactualError, 2.2, ["are you sure", "@check again", "@double check", "thats not what", "are you certain"]),

        // Disagreement and confirmation questions are hints only: "No, I don't think so." answers a question as often as it disputes an answer.
        (FollowupKinds.FactualError, 1.2, ["i checked", "i just checked", "i double checked"]),
        (FollowupKinds.FactualError, 0.9, ["i dont think so", "i do not think so", "i do not believe so", "i dont believe", "@i doubt", "is that right", "is that true", "is that correct"]),

        (FollowupKinds.UnrealisticExpectation, 2.8, ["dont you remember", "why dont you remember", "why cant you", "cant you just", "you should be able to", "you should know", "you must know", "you have to know", "surely you can", "surely you know", "just guess", "just make something up", "what do you mean you cant", "what do you mean you dont", "pretend you can", "any ai can", "other ais can", "other ai", "google can", "just look it up", "look it up online", "search the internet", "search the web", "browse the web", "check the web", "@real time", "@live price", "@lottery numbers", "@guarantee", "100 percent sure", "remember what i told you", "remember our last", "remember last", "you should remember", "call them for me", "send it for me", "send the email for me", "do it for me", "@access my", "@log into", "@log in to", "read my mind", "just tell me the", "you are supposed to know", "youre supposed to know", "you are an ai", "youre an ai", "but you are a computer", "you know everything", "i expect you to", "hack into", "in real time", "right this second", "tell me the future", "winning numbers", "who will win", "stock price tomorrow", "diagnose me", "cure my", "my bank account", "my bank balance", "@in the next reply", "@in one reply", "@zero mistakes", "@no mistakes at all", "@without any mistakes"]),

        (FollowupKinds.UnrealisticExpectation, 2.0, ["@predict the", "@predict"]),

        (FollowupKinds.NoEngagement, 2.2, ["@not really interested", "@im not interested", "ask someone else", "@anyway", "@anyways", "^hmm ok", "@whatever", "nevermind", "never mind", "nvm", "forget it", "forget about it", "meh", "@moving on", "lets move on", "change the subject", "talk about something else", "@something different", "skip it", "skip that", "@not interested", "@idc", "@i dont care", "@dont care", "@who cares", "=k", "=kk", "^fine whatever", "^sure whatever", "^if you say so", "^i guess", "^ok i guess", "=uh huh"]),

        (FollowupKinds.NoEngagement, 1.2, ["@lets just", "=hm", "=hmm"]),

        (FollowupKinds.Ignored, 2.0, ["@stick to", "@focus on"]),
        (FollowupKinds.Ignored, 2.8, ["you skip*", "did you even read", "a different question", "you didnt answer", "you did not answer", "didnt answer my", "you ignored", "ignored my", "ignoring my", "ignore my", "not what i asked", "thats not what i asked", "i didnt ask", "i did not ask", "@i asked for", "@i asked about", "i asked you", "@i asked", "answer my question", "answer the question", "my question was", "read my question", "read it again", "i already told you", "@i said", "i told you", "i just told you", "you missed", "you forgot", "you didnt address", "didnt address", "@still didnt", "@still not", "@off topic", "@irrelevant", "@not relevant", "@i meant", "@what i meant", "@i was asking", "that wasnt the question", "@not the question", "@wrong question", "you misunderstood", "you misread", "you didnt read", "you didnt understand", "not what i said", "i never said", "i didnt say", "i did not say", "you skipped", "didnt answer", "did not answer", "you didnt even", "you did not even", "@i repeat", "@once again", "still waiting", "you keep ignoring", "you ignore", "back to my question", "my original question", "the question was", "still no answer", "that doesnt answer", "doesnt answer my", "not my question", "you changed the subject"]),

        (FollowupKinds.LowerQuality, 2.8, ["than last time", "than before", "@was clearer", "@step down", "@weaker than", "@worse", "@much worse", "@even worse", "@got worse", "@getting worse", "@was better", "@were better", "previous answer", "@previous version", "@first one was", "@first version", "@original was better", "the previous one was", "the old one was", "@go back to", "@old version", "you used to", "@before was better", "less helpful than", "@downgrade", "@downgraded", "@dumber", "@lazier", "@lazy", "@worse than", "@not as good as", "@quality dropped", "@went downhill", "@regress*", "last time you", "yesterday you", "earlier you", "you were better"]),

        (FollowupKinds.InsufficientDetail, 2.5, ["why do you say that", "not sure what you mean", "i dont know what you mean", "are we still talking about", "@step by step", "=what", "=huh", "@more detail*", "@in more detail", "@more specific", "be more specific", "@too vague", "@vague", "@too short", "@too brief", "@too general", "@generic", "elaborate", "@expand", "expand on", "@go deeper", "@dig deeper", "@in depth", "explain more", "explain further", "explain that", "explain this", "explain it", "@explain why", "@explain what", "what do you mean", "what does that mean", "what does it mean", "what is that supposed to mean", "can you clarify", "clarify", "unclear", "not clear", "@more examples", "@give me an example", "@an example", "@incomplete", "@you left out", "@left out", "@missing", "@not enough", "@need more", "@more information", "@more info", "@too little", "@superficial", "@surface level", "@shallow", "is that it", "is that all", "?thats it", "?thats all", "like what", "@i dont understand", "@i do not understand", "i dont get it", "i dont follow", "im lost", "lost me", "im confused", "=why", "=how", "=how so", "^for example", "@the rest", "@cut off", "you stopped"]),

        (FollowupKinds.InsufficientDetail, 1.5, ["tell me more", "^more", "continue", "^and then", "@such as", "@meaning", "@go on", "@finish"]),

        (FollowupKinds.Style, 2.5, ["add some paragraphs", "into paragraphs", "lecturing", "stop lecturing", "@exclamation marks", "@too long", "@too wordy", "@wordy", "@verbose", "@too formal", "@too casual", "@too informal", "@too technical", "@too complicated", "@too complex", "@too robotic", "@robotic", "@too stiff", "@too much", "@too many", "@shorter", "make it shorter", "@more concise", "@simpler", "@simplify", "@simple terms", "@plain english", "@less formal", "@more formal", "@more casual", "@more friendly", "@friendlier", "@tone", "@bullet points", "@bullet list", "@bullets", "@as a list", "@in a table", "@as a table", "@markdown", "@fewer words", "stop using", "dont use", "@without emojis", "@emojis", "@no emojis", "tldr", "tl dr", "wall of text", "@caps", "@repetitive", "repeating yourself", "you keep repeating", "stop apologizing", "@apologizing", "sound like a robot", "sounds like a robot", "@sound more human", "@more natural", "@cheesy", "@cringe", "less cringe", "@too salesy", "@preachy", "@too many caveats", "@disclaimers", "get to the point", "straight to the point", "just the code", "only the code", "@one sentence", "@one line", "@in english", "@headings", "@numbered", "@font", "@spacing", "@longer", "@shorten"]),

        (FollowupKinds.Style, 1.5, ["@so many", "@format", "@formatting", "@reformat"]),

        // ---- polite refusals and deferrals: neither a complaint nor a correction ("not right now" is not "not right") ----
        (FollowupKinds.Neutral, 0.3, ["not right now", "not now", "not yet", "not just yet", "not at the moment", "not at this time", "not today", "not for now", "maybe later", "not ready", "not necessary", "no need"]),

        // ---- neutral cues: the next request or question ----
        (FollowupKinds.Neutral, 0.3, ["i have a question", "can you", "could you", "would you", "please", "how about", "what about", "now", "next", "also", "i need", "i want", "i would like", "id like", "help me", "give me", "tell me", "show me", "write", "another question", "new question", "quick question", "one more thing", "a better way", "is there", "how do i", "how can i", "what is", "whats", "where", "when", "which", "who", "i am looking for", "im looking for", "looking for"]),
    ];

    /// <summary>Every phrase, parsed.</summary>
    public static IReadOnlyList<LexiconPhrase> Phrases { get; } = Parse();

    private static List<LexiconPhrase> Parse()
    {
        var phrases = new List<LexiconPhrase>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (kind, weight, texts) in Table)
        {
            foreach (var raw in texts)
            {
                var shortOnly = raw.StartsWith('^');
                var questionOnly = raw.StartsWith('?');
                var wholeOnly = raw.StartsWith('=');
                var needsTarget = raw.StartsWith('@');
                var text = shortOnly || questionOnly || wholeOnly || needsTarget ? raw[1..] : raw;

                // A phrase that names the assistant ("you left out") is its own target.
                needsTarget = needsTarget && !text.Split(' ').Any(SecondPerson.Contains);
                var key = (shortOnly || questionOnly || wholeOnly ? raw[..1] : string.Empty) + text;
                if (!seen.Add(key))
                {
                    // The first entry of a phrase wins; a later duplicate is a table mistake, kept harmless.
                    continue;
                }

                phrases.Add(new LexiconPhrase(text, text.Split(' ', StringSplitOptions.RemoveEmptyEntries), kind, weight, shortOnly || wholeOnly, questionOnly, wholeOnly, needsTarget));
            }
        }

        return phrases;
    }
}
