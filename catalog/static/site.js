// catalog: player chapters, transcript following and search, copy buttons. No dependencies.
(function () {
  "use strict";

  function seekAndPlay(audio, seconds) {
    audio.currentTime = seconds;
    var playing = audio.play();
    if (playing && playing.catch) playing.catch(function () {});
  }

  function lastStartedIndex(starts, time) {
    var index = -1;
    for (var i = 0; i < starts.length; i++) { if (starts[i] <= time + 0.25) index = i; else break; }
    return index;
  }

  function setUpPlayer(panel) {
    var audio = panel.querySelector("[data-audio]");
    var nowPlaying = panel.querySelector("[data-now-playing]");
    var chapters = Array.prototype.slice.call(document.querySelectorAll("[data-chapters] .chapter"));
    var chapterStarts = chapters.map(function (b) { return parseFloat(b.dataset.start); });
    var transcript = document.querySelector("[data-transcript]");
    var cues = transcript ? Array.prototype.slice.call(transcript.querySelectorAll(".cue")) : [];
    var cueStarts = cues.map(function (c) { return parseFloat(c.dataset.start); });
    var cueList = transcript && transcript.querySelector("[data-cues]");
    var follow = transcript && transcript.querySelector("[data-follow]");
    var currentChapter = -1, currentCue = -1;

    chapters.forEach(function (button) {
      button.addEventListener("click", function () { seekAndPlay(audio, parseFloat(button.dataset.start)); });
    });
    cues.forEach(function (cue) {
      cue.querySelector("[data-seek]").addEventListener("click", function () {
        seekAndPlay(audio, parseFloat(cue.dataset.start));
      });
    });

    function update() {
      var time = audio.currentTime;
      var chapter = lastStartedIndex(chapterStarts, time);
      if (chapter !== currentChapter) {
        if (chapters[currentChapter]) chapters[currentChapter].removeAttribute("aria-current");
        if (chapters[chapter]) {
          chapters[chapter].setAttribute("aria-current", "true");
          if (nowPlaying) nowPlaying.textContent = "Chapter: " + chapters[chapter].querySelector(".chapter__title").textContent;
        }
        currentChapter = chapter;
      }
      var cue = lastStartedIndex(cueStarts, time);
      if (cue !== currentCue) {
        if (cues[currentCue]) cues[currentCue].classList.remove("is-current");
        if (cues[cue]) {
          cues[cue].classList.add("is-current");
          if (follow && follow.checked && !audio.paused && !cues[cue].hidden) {
            cueList.scrollTop = cues[cue].offsetTop - cueList.offsetTop - cueList.clientHeight / 3;
          }
        }
        currentCue = cue;
      }
    }
    audio.addEventListener("timeupdate", update);
    audio.addEventListener("seeked", update);
  }

  function setUpTranscriptSearch(transcript) {
    var input = transcript.querySelector("[data-transcript-filter]");
    var status = transcript.querySelector("[data-transcript-status]");
    var cues = Array.prototype.slice.call(transcript.querySelectorAll(".cue"));
    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase();
      var shown = 0;
      cues.forEach(function (cue) {
        var text = cue.querySelector("[data-cue-text]");
        if (!text.dataset.plain) text.dataset.plain = text.textContent;
        var plain = text.dataset.plain, at = words ? plain.toLowerCase().indexOf(words) : -1;
        cue.hidden = Boolean(words) && at < 0;
        text.textContent = "";
        if (at >= 0) {
          var mark = document.createElement("mark");
          mark.textContent = plain.slice(at, at + words.length);
          text.append(plain.slice(0, at), mark, plain.slice(at + words.length));
        } else {
          text.textContent = plain;
        }
        if (!cue.hidden) shown++;
      });
      status.textContent = words ? shown + (shown === 1 ? " line matches" : " lines match") : "";
    });
  }

  function setUpCopy(button) {
    var field = document.querySelector(button.dataset.copy);
    var status = button.parentElement.querySelector("[role=status]");
    button.addEventListener("click", function () {
      function done(message) { if (status) status.textContent = message; }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(
          function () { done(button.dataset.copiedMessage || "Copied"); },
          function () { field.select(); done("Press Ctrl+C to copy"); }
        );
      } else {
        field.select();
        done("Press Ctrl+C to copy");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-player]").forEach(setUpPlayer);
    document.querySelectorAll("[data-transcript]").forEach(setUpTranscriptSearch);
    document.querySelectorAll("[data-copy]").forEach(setUpCopy);
  });
})();
